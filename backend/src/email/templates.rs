//! Message templates, rendered with minijinja: one folder each under
//! `templates/` with `subject.txt`, `body.txt` and `body.html`, compiled in.
//!
//! - Variables are `{{ name }}`; a variable the caller did not give is an
//!   error (strict undefined), never an empty string.
//! - `.html` parts are HTML-escaped (minijinja's auto-escape), the `.txt`
//!   parts are not; the subject's values lose their line breaks, so a value
//!   cannot add a header line.
//! - The HTML escape is ours ([`escape_html`]: `& < > " '`, all that matters
//!   in text and in quoted attributes). minijinja's own also writes every `/`
//!   as `&#x2f;`, which would turn each link in the HTML source into
//!   `https:&#x2f;&#x2f;…`: valid, but unreadable, and the kind of
//!   obfuscated URL that mail filters score against.
//! - A value is output once, as text: one that contains `{{ … }}` is not
//!   expanded again.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use anyhow::Context as _;
use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value, escape_formatter};

/// One message kind: the name of its folder under `templates/`.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    pub name: &'static str,
}

pub const VERIFY_EMAIL: Template = Template {
    name: "verify_email",
};
pub const ACCOUNT_EXISTS: Template = Template {
    name: "account_exists",
};
pub const INVITATION: Template = Template { name: "invitation" };
pub const RESET_PASSWORD: Template = Template {
    name: "reset_password",
};
pub const PASSWORD_CHANGED: Template = Template {
    name: "password_changed",
};
/// Profile: the link to the new address that confirms an email change.
pub const CONFIRM_EMAIL_CHANGE: Template = Template {
    name: "confirm_email_change",
};
/// Profile: the notice to the old address once the change applied.
pub const EMAIL_CHANGED: Template = Template {
    name: "email_changed",
};
/// Profile: to a new address that already has an account (no link).
pub const EMAIL_CHANGE_TAKEN: Template = Template {
    name: "email_change_taken",
};
/// Profile: the notice after a password change.
pub const PROFILE_PASSWORD_CHANGED: Template = Template {
    name: "profile_password_changed",
};

/// Every template's three parts: (name, subject, text, html).
macro_rules! sources {
    ($($name:literal),* $(,)?) => {
        &[$((
            $name,
            include_str!(concat!("templates/", $name, "/subject.txt")),
            include_str!(concat!("templates/", $name, "/body.txt")),
            include_str!(concat!("templates/", $name, "/body.html")),
        )),*]
    };
}

const SOURCES: &[(&str, &str, &str, &str)] = sources![
    "verify_email",
    "account_exists",
    "invitation",
    "reset_password",
    "password_changed",
    "confirm_email_change",
    "email_changed",
    "email_change_taken",
    "profile_password_changed",
];

/// All templates, parsed once. A syntax error is kept and returned by every
/// [`Template::render`] (and fails the unit tests first).
static ENVIRONMENT: LazyLock<Result<Environment<'static>, minijinja::Error>> =
    LazyLock::new(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // The bodies end with a newline, as the files do.
        env.set_syntax(
            SyntaxConfig::builder()
                .keep_trailing_newline(true)
                .build()?,
        );
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        env.set_formatter(|out, state, value| match value.as_str() {
            Some(text) if *state.auto_escape() == AutoEscape::Html && !value.is_safe() => out
                .write_str(&escape_html(text))
                .map_err(minijinja::Error::from),
            _ => escape_formatter(out, state, value),
        });
        for (name, subject, text, html) in SOURCES {
            env.add_template_owned(format!("{name}/subject.txt"), subject.trim())?;
            env.add_template_owned(format!("{name}/body.txt"), *text)?;
            env.add_template_owned(format!("{name}/body.html"), *html)?;
        }
        Ok(env)
    });

/// HTML-escapes a value for text or a quoted attribute.
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

/// A message rendered for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub template: &'static str,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Template {
    /// Renders the template for `to` with `vars`.
    ///
    /// # Errors
    /// When a template uses a variable missing from `vars`, or the templates
    /// do not parse.
    pub fn render(&self, to: &str, vars: &[(&str, &str)]) -> anyhow::Result<RenderedEmail> {
        let env = ENVIRONMENT
            .as_ref()
            .map_err(|error| anyhow::anyhow!("the mail templates do not parse: {error:#}"))?;
        let context: BTreeMap<String, String> = vars
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        let one_line: BTreeMap<String, String> = vars
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.replace(['\r', '\n'], " ")))
            .collect();
        let part = |file: &str, context: Value| {
            let name = format!("{}/{file}", self.name);
            env.get_template(&name)
                .and_then(|template| template.render(context))
                .with_context(|| format!("rendering the mail template {name}"))
        };
        Ok(RenderedEmail {
            template: self.name,
            to: to.to_owned(),
            subject: part("subject.txt", Value::from(one_line))?,
            text: part("body.txt", Value::from(context.clone()))?,
            html: part("body.html", Value::from(context))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Template; 5] = [
        VERIFY_EMAIL,
        ACCOUNT_EXISTS,
        INVITATION,
        RESET_PASSWORD,
        PASSWORD_CHANGED,
    ];

    /// Every variable any template uses.
    fn vars<'a>(first_name: &'a str, link: &'a str) -> [(&'static str, &'a str); 6] {
        [
            ("first_name", first_name),
            ("email", "x@example.com"),
            ("link", link),
            ("ttl", "24 hours"),
            ("account", "Acme"),
            ("inviter", "Ada"),
        ]
    }

    #[test]
    fn verify_email_renders_as_before() {
        let email = VERIFY_EMAIL
            .render(
                "ada@example.com",
                &[
                    ("first_name", "Ada"),
                    ("email", "ada@example.com"),
                    ("link", "https://muster.example/verify-email/abc"),
                    ("ttl", "24 hours"),
                ],
            )
            .unwrap();
        assert_eq!(email.template, "verify_email");
        assert_eq!(email.to, "ada@example.com");
        assert_eq!(email.subject, "Verify your email address");
        assert_eq!(
            email.text,
            "Hi Ada,\n\nPlease confirm that ada@example.com is your email address by opening \
             this link:\n\nhttps://muster.example/verify-email/abc\n\nThe link works for 24 hours \
             and only once. If you did not sign up for Muster, you can ignore this email.\n"
        );
        assert!(email.html.starts_with("<!DOCTYPE html>\n"));
        assert!(email.html.ends_with("</html>\n"));
        assert!(email.html.contains("<p>Hi Ada,</p>"));
        assert!(email.html.contains(
            "<a href=\"https://muster.example/verify-email/abc\" style=\"display: inline-block;"
        ));
        assert!(
            email
                .html
                .contains("<strong>ada@example.com</strong> is your email address")
        );
    }

    #[test]
    fn every_template_renders_each_part() {
        for template in ALL {
            let email = template
                .render("x@example.com", &vars("X", "https://l.example/t"))
                .unwrap();
            assert!(!email.subject.is_empty() && !email.subject.contains('\n'));
            assert!(email.text.starts_with("Hi X,\n") && email.text.ends_with('\n'));
            assert!(email.text.contains("https://l.example/t"));
            assert!(email.html.contains("<p>Hi X,</p>"));
            for part in [&email.subject, &email.text, &email.html] {
                assert!(!part.contains("{{"), "unfilled placeholder in {part}");
            }
        }
        let invitation = INVITATION.render("x@example.com", &vars("X", "L")).unwrap();
        assert_eq!(invitation.subject, "You're invited to join Acme");
        assert_eq!(
            ACCOUNT_EXISTS
                .render("x@example.com", &vars("X", "L"))
                .unwrap()
                .subject,
            "You already have a Muster account"
        );
        let reset = RESET_PASSWORD
            .render("x@example.com", &vars("X", "L"))
            .unwrap();
        assert_eq!(reset.subject, "Reset your password");
        assert!(
            reset
                .text
                .contains("The link works for 24 hours and only once.")
        );
        let changed = PASSWORD_CHANGED
            .render("x@example.com", &vars("X", "L"))
            .unwrap();
        assert_eq!(changed.subject, "Your password was changed");
        assert!(changed.text.contains("x@example.com was just changed"));
    }

    #[test]
    fn html_escapes_values_and_text_does_not() {
        let name = "<script>alert(1)</script> & \"O'Neil\"";
        for template in ALL {
            let email = template.render("x@example.com", &vars(name, "L")).unwrap();
            assert!(email.text.contains(&format!("Hi {name},")));
            assert!(!email.html.contains("<script>"));
            assert!(email.html.contains(
                "<p>Hi &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;O&#39;Neil&quot;,</p>"
            ));
        }
    }

    /// The substitution this replaced, for comparison.
    fn replaced(source: &str, vars: &[(&str, &str)], encode: impl Fn(&str) -> String) -> String {
        vars.iter().fold(source.to_owned(), |text, (name, value)| {
            text.replace(&format!("{{{{{name}}}}}"), &encode(value))
        })
    }

    #[test]
    fn output_is_what_the_hand_written_substitution_gave() {
        let values = vars(
            "Zoë <O'Neil> & \"co\"\nnext",
            "https://m.example/x/y?a=1&b=2",
        );
        for (template, (name, subject, text, html)) in ALL.iter().zip(SOURCES) {
            assert_eq!(template.name, *name);
            let email = template.render("x@example.com", &values).unwrap();
            let one_line = |value: &str| value.replace(['\r', '\n'], " ");
            assert_eq!(email.subject, replaced(subject.trim(), &values, one_line));
            assert_eq!(email.text, replaced(text, &values, str::to_owned));
            assert_eq!(email.html, replaced(html, &values, escape_html));
        }
    }

    #[test]
    fn the_profile_templates_render_each_part_and_escape_html() {
        let vars = [
            ("first_name", "<X>"),
            ("email", "x@example.com"),
            ("new_email", "y@example.com"),
            ("link", "https://l.example/confirm-email/t"),
            ("ttl", "24 hours"),
        ];
        for template in [
            CONFIRM_EMAIL_CHANGE,
            EMAIL_CHANGED,
            EMAIL_CHANGE_TAKEN,
            PROFILE_PASSWORD_CHANGED,
        ] {
            let email = template.render("x@example.com", &vars).unwrap();
            assert!(!email.subject.is_empty() && !email.subject.contains('\n'));
            assert!(email.text.starts_with("Hi <X>,\n"), "{}", email.text);
            assert!(email.html.contains("<p>Hi &lt;X&gt;,</p>"));
            for part in [&email.subject, &email.text, &email.html] {
                assert!(!part.contains("{{"), "unfilled placeholder in {part}");
            }
        }
        let confirm = CONFIRM_EMAIL_CHANGE.render("y@example.com", &vars).unwrap();
        assert!(confirm.text.contains("https://l.example/confirm-email/t"));
        let changed = EMAIL_CHANGED.render("x@example.com", &vars).unwrap();
        assert!(changed.text.contains("from x@example.com to y@example.com"));
        let taken = EMAIL_CHANGE_TAKEN.render("x@example.com", &vars).unwrap();
        assert!(taken.text.contains("You already have an account"));
    }

    #[test]
    fn a_value_is_not_expanded_again() {
        let email = VERIFY_EMAIL
            .render("x@example.com", &vars("{{link}}", "https://l.example/t"))
            .unwrap();
        assert!(email.text.starts_with("Hi {{link}},\n"));
    }

    #[test]
    fn subject_values_lose_line_breaks() {
        let mut values = vars("X", "L");
        values[4] = ("account", "Acme\r\nBcc: eve@example.com");
        let email = INVITATION.render("x@example.com", &values).unwrap();
        assert_eq!(
            email.subject,
            "You're invited to join Acme  Bcc: eve@example.com"
        );
    }

    #[test]
    fn a_missing_variable_is_an_error() {
        let error = VERIFY_EMAIL
            .render(
                "x@example.com",
                &[("first_name", "X"), ("email", "x@example.com")],
            )
            .unwrap_err();
        assert!(
            format!("{error:#}").contains("verify_email/body.txt"),
            "{error:#}"
        );
        let error = INVITATION
            .render("x@example.com", &[("first_name", "X")])
            .unwrap_err();
        assert!(
            format!("{error:#}").contains("invitation/subject.txt"),
            "{error:#}"
        );
    }
}
