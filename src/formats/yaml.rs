//! az CLI `security setting list/show -o yaml` and `-o yamlc` (the same with colours, which
//! the decoder removes): a YAML sequence of mappings with az's sorted keys `enabled`, `id`,
//! `kind`, `name`, `type`, or one mapping for `show`.
//!
//! The YAML deserializer drives the JSON family's typed pass ([`json::classify_each`]), so
//! a YAML export is read exactly like its JSON equivalent: the same settings, the same
//! extents, JSON pointers into the YAML document (`/1/enabled`) as locations.
//!
//! Several documents in one file (`---` between them: an az loop appending `-o yaml` outputs
//! with `>>`) are read like a JSON stream: each document on its own, attributed on its own,
//! its pointers prefixed with its index among the documents (`/1/0/enabled`).

use super::lines::Line;
use super::{Body, Format, Parsed, Parser, Reason, Text, is_settings_id, json};
use crate::escape::{EXCERPT_CHARS, excerpt};

/// az CLI `-o yaml` / `-o yamlc`.
pub const AZCLI_YAML: Format = Format::new("azcli-yaml");

/// YAML settings exports.
pub const PARSER: Parser = Parser {
    family: "azcli-yaml",
    formats: &[AZCLI_YAML],
    parse,
};

fn parse(input: &Text<'_>) -> Option<Parsed> {
    if !looks_like_settings_yaml(input.lines()) {
        return None;
    }
    let text = input.text().trim_start_matches('\u{feff}');
    let body = match json::classify_each(serde_yaml_ng::Deserializer::from_str(text)) {
        Ok((_, body)) => body,
        Err(e) => Body::Malformed(Reason::InvalidYaml(
            excerpt(&e.to_string(), EXCERPT_CHARS).into_owned(),
        )),
    };
    Some(Parsed::new(AZCLI_YAML, body))
}

/// A YAML key line: `key: value` or `key:` (a letter first, no space before the colon: a
/// `Format-List` line `Name    : WDATP` is not one), after an optional sequence dash.
fn key_value(line: &str) -> Option<(&str, &str)> {
    let line = line.trim_start();
    let line = line.strip_prefix("- ").unwrap_or(line).trim_start();
    let (key, value) = line.split_once(':')?;
    let well_formed = key.starts_with(|c: char| c.is_ascii_alphabetic())
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (well_formed && (value.is_empty() || value.starts_with(' '))).then(|| (key, value.trim()))
}

/// Whether the text opens as YAML (a document marker, a sequence item or a key) and names
/// a setting: a `name:` and an `enabled:` key, or an `id:` of a Defender for Cloud setting.
fn looks_like_settings_yaml(lines: &[Line<'_>]) -> bool {
    let Some(first) = lines.iter().find(|l| !l.is_blank()) else {
        return false;
    };
    let first = first.text.trim_start_matches('\u{feff}').trim_end();
    let opens =
        first == "---" || first == "-" || first.starts_with("- ") || key_value(first).is_some();
    if !opens || first.starts_with(['{', '[']) {
        return false;
    }
    let (mut name, mut enabled) = (false, false);
    for (key, value) in lines.iter().filter_map(|l| key_value(l.text)) {
        if key.eq_ignore_ascii_case("id") && is_settings_id(value) {
            return true;
        }
        name |= key.eq_ignore_ascii_case("name");
        enabled |= key.eq_ignore_ascii_case("enabled");
        if name && enabled {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{Extent, Flag, Item, Location};

    const SUB: &str = "6a0f3b2c-1d4e-4f5a-8b6c-7d8e9f0a1b2c";

    fn list(wdatp: &str) -> String {
        format!(
            "- enabled: true\n  id: /subscriptions/{SUB}/providers/Microsoft.Security/settings/MCAS\n  kind: DataExportSettings\n  name: MCAS\n  type: Microsoft.Security/settings\n- enabled: {wdatp}\n  id: /subscriptions/{SUB}/providers/Microsoft.Security/settings/WDATP\n  kind: DataExportSettings\n  name: WDATP\n  type: Microsoft.Security/settings\n"
        )
    }

    fn read(text: &str) -> Option<Parsed> {
        parse(&Text::new(text))
    }

    #[test]
    fn az_list_reads_like_its_json() {
        let parsed = read(&list("false")).unwrap();
        assert_eq!(parsed.format, AZCLI_YAML);
        let Body::Items(items) = parsed.body else {
            panic!("{parsed:?}")
        };
        let [Item::Settings { extent, settings }] = items.as_slice() else {
            panic!("{items:?}")
        };
        assert_eq!(*extent, Extent::Listing);
        assert_eq!(settings[1].name.as_deref(), Some("WDATP"));
        assert_eq!(settings[1].enabled, Flag::Bool(false));
        assert_eq!(settings[1].location, Location::Pointer("/1/enabled".into()));
    }

    #[test]
    fn yaml_and_its_json_equivalent_give_the_same_items() {
        let json = format!(
            r#"[{{"enabled": true, "id": "/subscriptions/{SUB}/providers/Microsoft.Security/settings/MCAS", "kind": "DataExportSettings", "name": "MCAS", "type": "Microsoft.Security/settings"}}, {{"enabled": false, "id": "/subscriptions/{SUB}/providers/Microsoft.Security/settings/WDATP", "kind": "DataExportSettings", "name": "WDATP", "type": "Microsoft.Security/settings"}}]"#
        );
        let from_json = json::parse_document(&json);
        assert_eq!(from_json.format, json::AZCLI_JSON);
        assert_eq!(read(&list("false")).unwrap().body, from_json.body);
    }

    #[test]
    fn az_show_is_a_single_result() {
        let text = format!(
            "enabled: true\nid: /subscriptions/{SUB}/providers/Microsoft.Security/settings/WDATP\nkind: DataExportSettings\nname: WDATP\ntype: Microsoft.Security/settings\n"
        );
        let Body::Items(items) = read(&text).unwrap().body else {
            panic!()
        };
        assert!(matches!(
            items.as_slice(),
            [Item::Settings {
                extent: Extent::Single,
                ..
            }]
        ));
    }

    #[test]
    fn several_documents_are_each_read_on_their_own() {
        const OTHER: &str = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d";
        let text = format!(
            "---\n{}---\n{}---\n",
            list("true"),
            list("false").replace(SUB, OTHER)
        );
        let parsed = read(&text).unwrap();
        assert_eq!(parsed.format, AZCLI_YAML);
        let Body::Items(items) = parsed.body else {
            panic!("{parsed:?}")
        };
        let [
            Item::Settings {
                extent: Extent::Listing,
                settings: first,
            },
            Item::Settings {
                extent: Extent::Listing,
                settings: second,
            },
        ] = items.as_slice()
        else {
            panic!("{items:?}")
        };
        assert_eq!(first[1].enabled, Flag::Bool(true));
        assert_eq!(first[1].location, Location::Pointer("/0/1/enabled".into()));
        assert!(first[1].id.as_deref().unwrap().contains(SUB));
        assert_eq!(second[1].enabled, Flag::Bool(false));
        assert_eq!(second[1].location, Location::Pointer("/1/1/enabled".into()));
        assert!(second[1].id.as_deref().unwrap().contains(OTHER));
    }

    #[test]
    fn one_document_after_a_marker_keeps_its_pointers() {
        let Body::Items(items) = read(&format!("---\n{}", list("true"))).unwrap().body else {
            panic!()
        };
        let [Item::Settings { settings, .. }] = items.as_slice() else {
            panic!("{items:?}")
        };
        assert_eq!(settings[1].location, Location::Pointer("/1/enabled".into()));
    }

    #[test]
    fn a_broken_document_among_several_is_malformed() {
        let text = format!("{}---\n- enabled: true\n  name: [unclosed\n", list("true"));
        assert!(matches!(
            read(&text).unwrap().body,
            Body::Malformed(Reason::InvalidYaml(_))
        ));
        // Other output appended beside the evidence is skipped, as in a JSON stream.
        let text = format!(
            "{}---\nenvironmentName: AzureCloud\nisDefault: true\n",
            list("true")
        );
        let Body::Items(items) = read(&text).unwrap().body else {
            panic!()
        };
        assert_eq!(items.len(), 1);
    }

    #[test]
    fn documents_that_are_not_evidence_are_named_as_yaml_documents() {
        let text = "---\nname: a\nother: 1\n---\nenabled: true\nfoo: 2\n";
        let Body::Unrecognized(why) = read(text).unwrap().body else {
            panic!()
        };
        let why = why.to_string();
        assert!(
            why.starts_with(
                "none of the 2 YAML documents in the file is settings evidence (document 1:"
            ),
            "{why}"
        );
    }

    #[test]
    fn other_text_is_not_yaml() {
        assert!(read("Enabled : True\nName    : WDATP\n").is_none());
        assert!(read("ERROR: (AuthorizationFailed) name: x enabled: y\n").is_none());
        assert!(read("- item\n- other\n").is_none());
        assert!(read("true\n").is_none());
        assert!(read("").is_none());
    }

    #[test]
    fn broken_yaml_is_malformed_not_a_panic() {
        let text = "- enabled: true\n  name: WDATP\n  id: [unclosed\n";
        assert!(matches!(
            read(text).unwrap().body,
            Body::Malformed(Reason::InvalidYaml(_))
        ));
        let _ = read("- name: a\n  enabled: &x [*x]\n");
        let _ = read("name: x\nenabled: !!binary zz\n");
    }
}
