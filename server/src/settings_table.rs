//! The README's settings table ("Operating Muster"), generated from the
//! clap definitions in [`crate::config::Options`], so it cannot drift from
//! `server --help`: the test below compares the two, and with
//! `UPDATE_README=1` rewrites the README's block instead of failing.

use clap::Command;

/// The README block's markers.
const START: &str = "<!-- settings: generated from server/src/config.rs; \
                     UPDATE_README=1 cargo test -p server --lib settings_table -->";
const END: &str = "<!-- /settings -->";

/// One row per setting that has an environment variable: the variable, the
/// flag, the default (clap's, or the `[default: …]` the help text names)
/// and the first sentence of the help.
pub fn settings_table(command: &Command) -> String {
    let mut table =
        String::from("| Variable | Flag | Default | What it sets |\n| --- | --- | --- | --- |\n");
    for arg in command.get_arguments() {
        let Some(env) = arg.get_env() else { continue };
        let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
        let (help, named_default) = match help.split_once(" [default: ") {
            Some((text, default)) => (
                text.to_owned(),
                Some(default.trim_end().trim_end_matches(']').to_owned()),
            ),
            None => (help, None),
        };
        let defaults: Vec<String> = arg
            .get_default_values()
            .iter()
            .map(|value| format!("`{}`", value.to_string_lossy()))
            .collect();
        let default = if !defaults.is_empty() {
            defaults.join(", ")
        } else {
            named_default.map_or_else(
                || "unset".to_owned(),
                |named| named.replace('<', "&lt;").replace('>', "&gt;"),
            )
        };
        let flag = arg
            .get_long()
            .map_or_else(String::new, |long| format!("`--{long}`"));
        table.push_str(&format!(
            "| `{}` | {flag} | {} | {} |\n",
            env.to_string_lossy(),
            cell(&default),
            cell(&sentence(first_sentence(&help))),
        ));
    }
    table
}

/// Up to the first full stop that ends a sentence (". " before a capital).
fn first_sentence(text: &str) -> &str {
    let bytes = text.as_bytes();
    for (at, _) in text.match_indices(". ") {
        if bytes.get(at + 2).is_some_and(u8::is_ascii_uppercase) {
            return &text[..=at];
        }
    }
    text
}

/// `text` ending with a full stop (clap drops the one of a help that is a
/// single sentence).
fn sentence(text: &str) -> String {
    if text.ends_with('.') {
        text.to_owned()
    } else {
        format!("{text}.")
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_settings_table_is_the_one_clap_defines() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
        let readme = std::fs::read_to_string(path).unwrap();
        let generated = settings_table(&crate::cli::command());
        let (before, rest) = readme
            .split_once(START)
            .unwrap_or_else(|| panic!("README.md has no line {START}"));
        let (current, after) = rest.split_once(END).expect("the settings block ends");
        let wanted = format!("\n{generated}");
        if current == wanted {
            return;
        }
        if std::env::var_os("UPDATE_README").is_some() {
            std::fs::write(path, format!("{before}{START}{wanted}{END}{after}")).unwrap();
            return;
        }
        panic!(
            "README.md's settings table is out of date; run\n  UPDATE_README=1 cargo test -p server --lib settings_table\nto write:\n{generated}"
        );
    }

    #[test]
    fn every_setting_has_a_row_with_its_default() {
        let table = settings_table(&crate::cli::command());
        for row in [
            "| `DATABASE_URL` | `--database-url` | `sqlite://data/muster.db` |",
            "| `RETENTION` | `--retention` | `30d` |",
            "| `METRICS_TOKEN` | `--metrics-token` | unset |",
            "| `LOG_FORMAT` | `--log-format` | `text` |",
            "| `PUBLIC_URL` | `--public-url` | http://LEPTOS_SITE_ADDR |",
        ] {
            assert!(table.contains(row), "{row} not in\n{table}");
        }
        assert!(!table.contains("[default:"), "{table}");
    }

    #[test]
    fn a_sentence_ends_at_a_full_stop_before_a_capital() {
        assert_eq!(
            first_sentence("Keep it, e.g. `x`. More here."),
            "Keep it, e.g. `x`."
        );
        assert_eq!(first_sentence("One only."), "One only.");
    }
}
