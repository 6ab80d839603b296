//! `Get-AzSecuritySetting | Export-Clixml`: PowerShell's archive of objects, `<Objs
//! Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">` holding one
//! `<Obj>` per result, with its type names (`<TN>`) and its properties (`<Props>`, or `<MS>`
//! for note properties) written `<S N="Name">WDATP</S>`, `<B N="Enabled">true</B>`. Windows
//! PowerShell 5.1 writes it as UTF-16LE with a BOM, PowerShell 7 as UTF-8 with a BOM.
//!
//! Each `<Obj>` (at any depth: `-InputObject $array` nests them in a `<LST>`) holding a
//! `Name` and an `Enabled` property, or an `Id` or `Type` of a Defender for Cloud setting,
//! is a setting; together they are a listing, like a PowerShell array. Locations are
//! `line N`: the line of the `Enabled` element (of the object, when `Enabled` is missing).

use quick_xml::Reader;
use quick_xml::events::Event;

use super::lines::line_at;
use super::{
    Body, Extent, Flag, Format, Item, Location, Parsed, Parser, Reason, SETTINGS_TYPE, Setting,
    Text, is_settings_id,
};
use crate::escape::{EXCERPT_CHARS, excerpt};

/// `Export-Clixml` of `Get-AzSecuritySetting`.
pub const POWERSHELL_CLIXML: Format = Format::new("powershell-clixml");

/// PowerShell CLIXML archives.
pub const PARSER: Parser = Parser {
    family: "powershell-clixml",
    formats: &[POWERSHELL_CLIXML],
    parse,
};

const NAMESPACE: &str = "schemas.microsoft.com/powershell/2004/04";

fn parse(input: &Text<'_>) -> Option<Parsed> {
    let start = input.start();
    let root = match start.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map(|(_, r)| r.trim_start())?,
        None => start,
    };
    if !root.starts_with("<Objs") || !root.get(..1024).unwrap_or(root).contains(NAMESPACE) {
        return None;
    }
    let base = input.text().len() - start.len();
    Some(Parsed::new(POWERSHELL_CLIXML, read(input, start, base)))
}

/// A property being read: its name, element and where it starts.
struct Property {
    key: String,
    tag: String,
    offset: usize,
    text: String,
}

/// An `<Obj>` being read.
#[derive(Default)]
struct Frame {
    offset: usize,
    name: Option<String>,
    id: Option<String>,
    type_: Option<String>,
    enabled: Option<(Flag, usize)>,
}

impl Frame {
    fn set(&mut self, property: Property) {
        let Property {
            key,
            tag,
            offset,
            text,
        } = property;
        let key = key.to_ascii_lowercase();
        let string = (tag == "S").then_some(text.clone());
        match key.as_str() {
            "name" => self.name = string,
            "id" => self.id = string,
            "type" => self.type_ = string,
            "enabled" => self.enabled = Some((flag(&tag, &text), offset)),
            _ => {}
        }
    }

    fn into_setting(self, input: &Text<'_>) -> Option<Setting> {
        let typed = self.id.as_deref().is_some_and(is_settings_id)
            || self
                .type_
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case(SETTINGS_TYPE));
        let named = self.name.is_some() || self.id.is_some();
        if !(named && (typed || self.enabled.is_some())) {
            return None;
        }
        let (enabled, offset) = self.enabled.unwrap_or((Flag::Missing, self.offset));
        Some(Setting {
            name: self.name.filter(|n| !n.is_empty()),
            id: self.id.filter(|i| !i.is_empty()),
            subscription: None,
            enabled,
            location: Location::Line(line_at(input.lines(), offset)),
            recovered: None,
        })
    }
}

/// The value of an `Enabled` property as CLIXML writes it: `<B>` a boolean, `<S>` text,
/// `<Nil>` null, anything else a value of another kind.
fn flag(tag: &str, text: &str) -> Flag {
    match tag {
        "B" => match text.trim() {
            "true" => Flag::Bool(true),
            "false" => Flag::Bool(false),
            other => Flag::Text(other.to_owned()),
        },
        "S" => Flag::from_cell(Some(text)),
        "Nil" => Flag::Null,
        "Obj" | "Ref" => Flag::Other("an object"),
        _ => Flag::Other("a number"),
    }
}

fn read(input: &Text<'_>, xml: &str, base: usize) -> Body {
    let mut reader = Reader::from_str(xml);
    // Elements open: their names, and whether each is a property list (`Props`, `MS`).
    let mut open: Vec<String> = Vec::new();
    let mut frames: Vec<Frame> = Vec::new();
    let mut property: Option<Property> = None;
    let mut settings = Vec::new();
    loop {
        let offset = base + usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => {
                let at = base + usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                return Body::Malformed(Reason::InvalidXml(format!(
                    "{} at line {}",
                    excerpt(&e.to_string(), EXCERPT_CHARS),
                    line_at(input.lines(), at)
                )));
            }
        };
        match event {
            Event::Start(e) => {
                let tag = e.name().as_ref().to_owned();
                if tag == "Obj" {
                    frames.push(Frame {
                        offset,
                        ..Frame::default()
                    });
                } else if let Some(key) = property_name(&e, &open) {
                    property = Some(Property {
                        key,
                        tag: tag.clone(),
                        offset,
                        text: String::new(),
                    });
                }
                open.push(tag);
            }
            Event::Empty(e) => {
                if let (Some(key), Some(frame)) = (property_name(&e, &open), frames.last_mut()) {
                    frame.set(Property {
                        key,
                        tag: e.name().as_ref().to_owned(),
                        offset,
                        text: String::new(),
                    });
                }
            }
            Event::Text(t) => {
                if let Some(p) = property.as_mut() {
                    p.text
                        .push_str(&t.xml_content(quick_xml::XmlVersion::Implicit1_0));
                }
            }
            Event::CData(t) => {
                if let Some(p) = property.as_mut() {
                    p.text
                        .push_str(&t.xml_content(quick_xml::XmlVersion::Implicit1_0));
                }
            }
            Event::GeneralRef(r) => {
                if let Some(p) = property.as_mut() {
                    let name = r.xml_content(quick_xml::XmlVersion::Implicit1_0);
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => p.text.push(c),
                        _ => p.text.push_str(
                            quick_xml::escape::resolve_predefined_entity(&name).unwrap_or(""),
                        ),
                    }
                }
            }
            Event::End(e) => {
                open.pop();
                let tag = e.name().as_ref().to_owned();
                if tag == "Obj" {
                    if let Some(setting) = frames.pop().and_then(|f| f.into_setting(input)) {
                        settings.push(setting);
                    }
                } else if property.as_ref().is_some_and(|p| p.tag == tag)
                    && let (Some(p), Some(frame)) = (property.take(), frames.last_mut())
                {
                    frame.set(p);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !open.is_empty() {
        return Body::Malformed(Reason::TruncatedXml {
            line: input.lines().len(),
        });
    }
    if settings.is_empty() {
        return Body::Unrecognized(Reason::ClixmlWithoutSettings);
    }
    Body::Items(vec![Item::Settings {
        extent: Extent::Listing,
        settings,
    }])
}

/// The `N` attribute of an element directly inside a property list (`<Props>`, `<MS>`).
fn property_name(e: &quick_xml::events::BytesStart<'_>, open: &[String]) -> Option<String> {
    if !matches!(open.last().map(String::as_str), Some("Props" | "MS")) {
        return None;
    }
    let attribute = e.try_get_attribute("N").ok()??;
    attribute
        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
        .ok()
        .map(std::borrow::Cow::into_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUB: &str = "7b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";

    fn obj(ref_id: usize, name: &str, enabled: &str) -> String {
        format!(
            "  <Obj RefId=\"{ref_id}\">\r\n    <TNRef RefId=\"0\" />\r\n    <ToString>Microsoft.Azure.Commands.Security.Models.Settings.PSSecurityDataExportSetting</ToString>\r\n    <Props>\r\n      <B N=\"Enabled\">{enabled}</B>\r\n      <S N=\"Id\">/subscriptions/{SUB}/providers/Microsoft.Security/settings/{name}</S>\r\n      <S N=\"Name\">{name}</S>\r\n      <S N=\"Type\">Microsoft.Security/settings</S>\r\n    </Props>\r\n  </Obj>\r\n"
        )
    }

    fn archive(objs: &str) -> String {
        format!(
            "\u{feff}<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">\r\n{objs}</Objs>"
        )
    }

    fn settings(text: &str) -> Vec<Setting> {
        let parsed = parse(&Text::new(text)).unwrap();
        assert_eq!(parsed.format, POWERSHELL_CLIXML);
        match parsed.body {
            Body::Items(items) => match items.into_iter().next() {
                Some(Item::Settings { settings, .. }) => settings,
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn each_obj_with_name_and_enabled_is_a_setting() {
        let text = archive(&(obj(0, "MCAS", "true") + &obj(1, "WDATP", "false")));
        let found = settings(&text);
        assert_eq!(found.len(), 2);
        assert_eq!(found[1].name.as_deref(), Some("WDATP"));
        assert_eq!(found[1].enabled, Flag::Bool(false));
        assert_eq!(found[1].location, Location::Line(16));
        assert!(found[1].id.as_deref().is_some_and(|i| i.contains(SUB)));
    }

    #[test]
    fn nil_and_entities_are_read() {
        let text = archive(
            "<Obj RefId=\"0\"><MS><S N=\"Name\">W&amp;DATP</S><Nil N=\"Enabled\" /></MS></Obj>",
        );
        let found = settings(&text);
        assert_eq!(found[0].name.as_deref(), Some("W&DATP"));
        assert_eq!(found[0].enabled, Flag::Null);
    }

    #[test]
    fn other_xml_and_broken_archives() {
        assert!(parse(&Text::new("<html><body/></html>")).is_none());
        let truncated = archive(&obj(0, "WDATP", "true"));
        let cut = truncated.get(..truncated.len() - 40).unwrap();
        assert!(matches!(
            parse(&Text::new(cut)).unwrap().body,
            Body::Malformed(_)
        ));
        let other = archive("<Obj RefId=\"0\"><Props><S N=\"Name\">x</S></Props></Obj>");
        assert!(matches!(
            parse(&Text::new(&other)).unwrap().body,
            Body::Unrecognized(Reason::ClixmlWithoutSettings)
        ));
        assert!(matches!(
            parse(&Text::new(&archive("</Obj>"))).unwrap().body,
            Body::Malformed(_)
        ));
    }
}
