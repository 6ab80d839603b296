//! `mdc-evidence checks`: every check, laid out for a person (a block per check) or as JSON
//! for a program. Renders only; the checks come from `checks`.

use std::fmt::{self, Write as _};

use super::{BENCHMARKS, Check, Rule};

/// The checks as text for a person; a checks file's text is stripped of control
/// characters before it reaches a terminal.
#[must_use]
pub fn text(checks: &[Check]) -> String {
    let mut out = String::new();
    for check in checks {
        // Writing to a `String` cannot fail.
        let _ = write!(out, "{}", Block(check));
    }
    crate::escape::printable(&out, &['\n']).into_owned()
}

/// The checks as JSON: `{"benchmarks": [...], "checks": [...]}`, ending with a newline.
///
/// # Errors
/// Only if serialization fails, which plain data does not.
pub fn json(checks: &[Check]) -> serde_json::Result<String> {
    #[derive(serde::Serialize)]
    struct Listing<'a> {
        benchmarks: &'a [&'a str],
        checks: &'a [Check],
    }
    let mut text = serde_json::to_string_pretty(&Listing {
        benchmarks: BENCHMARKS,
        checks,
    })?;
    text.push('\n');
    Ok(text)
}

/// A checks file's text on the one line of its field: a line break in a title cannot start
/// a line (a check's block) of its own.
fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    crate::escape::printable(text, &[])
}

/// One check's block.
struct Block<'a>(&'a Check);

impl fmt::Display for Block<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.0;
        writeln!(f, "{}", one_line(&c.id))?;
        writeln!(f, "  title:        {}", one_line(&c.title))?;
        match &c.rule {
            Rule::Setting(name) => {
                writeln!(f, "  rule:         the setting {}", one_line(name))?;
            }
            Rule::Query { text, expect, .. } => {
                writeln!(
                    f,
                    "  rule:         the JSONPath {} finds {}",
                    one_line(text),
                    one_line(&expect.to_string())
                )?;
            }
        }
        writeln!(
            f,
            "  passes when:  {}",
            one_line(&c.passes_when.to_string())
        )?;
        if c.absent_reason.is_empty() {
            writeln!(f, "  absent means: {}", c.absent.as_str())?;
        } else {
            writeln!(
                f,
                "  absent means: {} ({})",
                c.absent.as_str(),
                one_line(&c.absent_reason)
            )?;
        }
        if c.bare_values {
            writeln!(
                f,
                "  bare values:  a bare true/false file (the CIS one-liner) answers it"
            )?;
        }
        if c.controls.is_empty() {
            writeln!(
                f,
                "  controls:     no CIS Microsoft Azure Foundations control"
            )?;
        } else {
            writeln!(f, "  controls:")?;
            for benchmark in BENCHMARKS {
                let control = c.control(benchmark).unwrap_or("-");
                writeln!(f, "    {benchmark:<16} {}", one_line(control))?;
            }
        }
        if !c.mcsb.is_empty() {
            writeln!(f, "  MCSB:         {}", one_line(&c.mcsb.join(", ")))?;
        }
        if let Some(profile) = &c.profile {
            writeln!(f, "  profile:      {}", one_line(profile))?;
        }
        let r = &c.remediation;
        for (how, text) in [
            ("REST", &r.rest),
            ("az", &r.az),
            ("PowerShell", &r.powershell),
        ] {
            if let Some(text) = text {
                writeln!(f, "  fix ({how}): {}", one_line(text))?;
            }
        }
        writeln!(f)
    }
}
