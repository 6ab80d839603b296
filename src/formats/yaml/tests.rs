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

#[test]
fn deep_flow_nesting_is_refused_before_the_parser() {
    let deep = |n: usize| {
        format!(
            "- enabled: true\n  name: WDATP\n  x: {}{}\n",
            "[".repeat(n),
            "]".repeat(n)
        )
    };
    let Body::Malformed(Reason::InvalidYaml(why)) = read(&deep(60_000)).unwrap().body else {
        panic!()
    };
    assert!(
        why.contains("nested deeper than 128 levels (line 3)"),
        "{why}"
    );
    // Within the limit, brackets in quotes and comments do not count.
    assert!(bounds(&deep(MAX_DEPTH)).is_ok());
    let quoted = format!(
        "a: '{}'\nb: \"{}\" # {}\n",
        "[".repeat(200),
        "{".repeat(200),
        "[".repeat(200)
    );
    assert_eq!(bounds(&quoted), Ok(Bounds { aliases: false }));
}

type Classified = Result<(Format, Body), String>;

fn reference(text: &str) -> Classified {
    json::classify_each(serde_yaml_ng::Deserializer::from_str(text)).map_err(|e| e.to_string())
}

/// What the streaming reader gives, as `parse` uses it (a text with a tab is left).
fn streamed(text: &str) -> Classified {
    if text.contains('\t') {
        return Err("a tab".to_owned());
    }
    json::classify_each(stream::documents(text)).map_err(|e| e.to_string())
}

fn setting(enabled: &str) -> String {
    format!(
        "- enabled: {enabled}\n  id: /subscriptions/{SUB}/providers/Microsoft.Security/settings/WDATP\n  name: WDATP\n"
    )
}

/// The streaming reader gives what `serde_yaml_ng` gives, or stops (and `serde_yaml_ng`
/// reads the text); the shapes az writes never stop it.
#[test]
fn the_streaming_reader_reads_as_serde_yaml_ng_reads() {
    let az = [
        list("true"),
        list("false"),
        format!("---\n{}---\n{}...\n", list("true"), list("false")),
        format!("# comment\n{}\n\n", list("true")).replace('\n', "\r\n"),
        format!(
            "value:\n{}",
            setting("true")
                .replace("\n  ", "\n    ")
                .replace("- ", "  - ")
        ),
        format!("---\n---\n{}---\n", list("true")),
    ];
    for text in &az {
        let streamed = streamed(text);
        assert!(streamed.is_ok(), "{text}: {streamed:?}");
        assert_eq!(streamed, reference(text), "{text}");
    }
    let scalars = [
        "True",
        "TRUE",
        "yes",
        "on",
        "'true'",
        "\"true\"",
        "~",
        "null",
        "",
        "0",
        "012",
        "-012",
        "0x1F",
        "-0x1F",
        "0o17",
        "-0o17",
        "0b101",
        "+7",
        "-7",
        "1e3",
        "-1.5",
        ".inf",
        "-.Inf",
        ".NaN",
        "+.inf",
        "99999999999999999999",
        "-99999999999999999999",
        "999999999999999999999999999999999999999999",
        "0x",
        "0x+1",
        "+-1",
        "1_000",
        "|\n    literal\n",
        ">\n    folded\n    text\n",
        "\"esc\\u00e9\\n\"",
        "'it''s'",
        "[true]",
        "{a: 1}",
        "!!str true",
        "!!bool true",
        "!custom x",
        "&a true",
        "[unclosed",
        "\"\\x\"",
    ];
    let mut streamed_count = 0;
    for scalar in scalars {
        for text in [
            setting(scalar),
            format!("{}  other: {scalar}\n", setting("true")),
            format!(
                "{scalar}: x\n{}",
                setting("true").replace("\n  ", "\n").replace("- ", "")
            ),
        ] {
            let streamed = streamed(&text);
            if streamed.is_ok() {
                streamed_count += 1;
                assert_eq!(streamed, reference(&text), "{text}");
            }
        }
    }
    assert!(streamed_count > 100, "{streamed_count}");
}

/// Mutated az output (a character replaced, inserted or removed, a few times): whatever
/// the streaming reader reads, it reads as `serde_yaml_ng` does.
#[test]
fn mutated_yaml_streams_as_serde_yaml_ng_reads_it() {
    let bases = [
        list("true"),
        format!("---\n{}---\n{}", list("true"), list("false")),
        format!(
            "value:\n{}",
            setting("true")
                .replace("- ", "  - ")
                .replace("\n  ", "\n    ")
        ),
    ];
    let alphabet = b"-:[]{}'\"#&!|>?,. \n\t\\%@`~0x1eE";
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut random = |below: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        usize::try_from(state % below as u64).unwrap()
    };
    let (mut compared, mut differ) = (0, Vec::new());
    for _ in 0..ITERATIONS {
        let mut bytes = bases[random(bases.len())].clone().into_bytes();
        for _ in 0..=random(4) {
            let at = random(bytes.len());
            let c = alphabet[random(alphabet.len())];
            match random(3) {
                0 => bytes[at] = c,
                1 => bytes.insert(at, c),
                _ => drop(bytes.remove(at)),
            }
        }
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        if let Ok(streamed) = streamed(&text) {
            compared += 1;
            if Ok(&streamed) != reference(&text).as_ref() {
                differ.push(text);
            }
        }
    }
    assert!(compared > ITERATIONS / 4, "{compared}");
    assert!(
        differ.is_empty(),
        "{} differ, first: {:?}",
        differ.len(),
        differ.first()
    );
}

const ITERATIONS: usize = 10_000;

#[test]
fn nesting_past_the_limit_is_read_by_serde_yaml_ng() {
    // Nesting within the limit is streamed; past it, serde_yaml_ng reads the text.
    let nested = |n: usize| {
        format!(
            "{}  x: {}{}\n",
            setting("true"),
            "[".repeat(n),
            "]".repeat(n)
        )
    };
    assert_eq!(streamed(&nested(100)), reference(&nested(100)));
    assert!(streamed(&nested(MAX_DEPTH)).is_err());
    let text = nested(MAX_DEPTH);
    assert_eq!(
        Ok((AZCLI_YAML, read(&text).unwrap().body)),
        reference(&text).map(|(_, body)| (AZCLI_YAML, body))
    );
}

#[test]
fn alias_expansion_is_counted_in_nodes() {
    let k = 2_000;
    let text = format!(
        "- enabled: true\n  name: WDATP\n  a: &a [{}]\n  b:\n{}",
        vec!["x"; k].join(", "),
        "  - *a\n".repeat(k)
    );
    assert_eq!(bounds(&text), Ok(Bounds { aliases: true }));
    let Body::Malformed(Reason::InvalidYaml(why)) = read(&text).unwrap().body else {
        panic!()
    };
    assert!(why.contains("node budget"), "{why}");
    assert!(value(&text).unwrap_err().contains("node budget"));
    // A few aliases within the budget read like the expanded text.
    let small = format!(
        "{}- enabled: &t true\n  name: X\n  other: *t\n",
        list("false")
    );
    let Body::Items(items) = read(&small).unwrap().body else {
        panic!()
    };
    let [Item::Settings { settings, .. }] = items.as_slice() else {
        panic!("{items:?}")
    };
    assert_eq!(settings[1].enabled, Flag::Bool(false));
    assert_eq!(settings[2].enabled, Flag::Bool(true));
    assert_eq!(value(&small).unwrap()[2]["other"], Value::Bool(true));
}
