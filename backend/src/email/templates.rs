//! Message templates: one folder each under `templates/` with `subject.txt`,
//! `body.txt` and `body.html`. `{{name}}` placeholders are filled in; in
//! HTML every value is escaped, in the subject line breaks are removed.

/// A template's three parts, compiled in.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    pub name: &'static str,
    subject: &'static str,
    text: &'static str,
    html: &'static str,
}

macro_rules! template {
    ($name:literal) => {
        Template {
            name: $name,
            subject: include_str!(concat!("templates/", $name, "/subject.txt")),
            text: include_str!(concat!("templates/", $name, "/body.txt")),
            html: include_str!(concat!("templates/", $name, "/body.html")),
        }
    };
}

pub const VERIFY_EMAIL: Template = template!("verify_email");
pub const ACCOUNT_EXISTS: Template = template!("account_exists");
pub const INVITATION: Template = template!("invitation");

/// A message rendered for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub template: &'static str,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn escape_html(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

fn fill(source: &str, vars: &[(&str, &str)], encode: impl Fn(&str) -> String) -> String {
    vars.iter().fold(source.to_owned(), |text, (name, value)| {
        text.replace(&format!("{{{{{name}}}}}"), &encode(value))
    })
}

impl Template {
    /// Renders the template for `to` with `vars`.
    pub fn render(&self, to: &str, vars: &[(&str, &str)]) -> RenderedEmail {
        let one_line = |value: &str| value.replace(['\r', '\n'], " ");
        RenderedEmail {
            template: self.name,
            to: to.to_owned(),
            subject: fill(self.subject.trim(), vars, one_line),
            text: fill(self.text, vars, str::to_owned),
            html: fill(self.html, vars, escape_html),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_every_part_and_escapes_html() {
        let email = VERIFY_EMAIL.render(
            "ada@example.com",
            &[
                ("first_name", "<Ada & \"co\">"),
                ("email", "ada@example.com"),
                ("link", "https://muster.example/verify-email/abc"),
                ("ttl", "24 hours"),
            ],
        );
        assert_eq!(email.subject, "Verify your email address");
        assert!(email.text.contains("Hi <Ada & \"co\">,"));
        assert!(
            email
                .text
                .contains("https://muster.example/verify-email/abc")
        );
        assert!(email.html.contains("Hi &lt;Ada &amp; &quot;co&quot;&gt;,"));
        assert!(!email.html.contains("<Ada"));
        for part in [&email.subject, &email.text, &email.html] {
            assert!(!part.contains("{{"), "unfilled placeholder in {part}");
        }
    }

    #[test]
    fn every_template_has_content_in_each_part() {
        for template in [VERIFY_EMAIL, ACCOUNT_EXISTS, INVITATION] {
            let email = template.render(
                "x@example.com",
                &[
                    ("first_name", "X"),
                    ("email", "x@example.com"),
                    ("link", "L"),
                    ("ttl", "T"),
                    ("account", "Acme"),
                    ("inviter", "Ada"),
                ],
            );
            assert!(!email.subject.is_empty() && !email.subject.contains('\n'));
            assert!(email.text.contains('L') && email.html.contains("L"));
            assert!(!email.text.contains("{{") && !email.html.contains("{{"));
        }
    }
}
