//! Subscription ids: where they are found and how they are told apart from redactions.
//!
//! Owns the rules of "Where the subscription id comes from" in docs/evidence-formats.md:
//! ids inside content (`/subscriptions/<GUID>/...`, error scopes), and the GUID nearest a
//! file in its path. It never invents an id: redacted placeholders and the all-zero GUID
//! are recognised as such and yield nothing.

use std::fmt;

use serde::Serialize;

/// A subscription id: a GUID, always held in lower case, in place (its 36 ASCII bytes):
/// every observation and verdict holds one, none of them on the heap. Ordered as its text.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SubscriptionId([u8; 36]);

impl SubscriptionId {
    /// Parses exactly one GUID (`8-4-4-4-12` hex digits, any case); the all-zero GUID is
    /// a sanitised placeholder, never a subscription.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        // Where the dashes go; every other byte is a hex digit. Every byte is checked,
        // without an early exit, so that the loop has little to mispredict: attribution
        // parses the id of every setting of every file.
        const DASH: [bool; 36] = {
            let mut dash = [false; 36];
            dash[8] = true;
            dash[13] = true;
            dash[18] = true;
            dash[23] = true;
            dash
        };
        let mut id: [u8; 36] = text.as_bytes().try_into().ok()?;
        id.make_ascii_lowercase();
        let mut valid = true;
        let mut zero = true;
        for (&b, &dash) in id.iter().zip(&DASH) {
            let hex = b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
            valid &= if dash { b == b'-' } else { hex };
            zero &= dash || b == b'0';
        }
        (valid && !zero).then_some(Self(id))
    }

    /// The id in lower case.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only `parse` makes one, from 36 ASCII characters.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for SubscriptionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for SubscriptionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SubscriptionId")
            .field(&self.as_str())
            .finish()
    }
}

impl Serialize for SubscriptionId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// What the subscription segment of a resource id holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdScope {
    /// A real subscription id.
    Subscription(SubscriptionId),
    /// A placeholder such as `<subscription>`, `{subscriptionId}` or all zeros.
    Redacted(String),
    /// The text names no subscription at all.
    None,
}

/// Reads the subscription out of a resource id such as
/// `/subscriptions/<GUID>/providers/Microsoft.Security/settings/WDATP` (any case).
#[must_use]
pub fn scope_of_resource_id(id: &str) -> IdScope {
    match segment_after_subscriptions(id) {
        Some(segment) => match SubscriptionId::parse(segment) {
            Some(sub) => IdScope::Subscription(sub),
            None => IdScope::Redacted(segment.to_owned()),
        },
        None => IdScope::None,
    }
}

/// Every subscription the resource ids in `text` name (`/subscriptions/<GUID>`, any case),
/// each once, in the order they first appear; redactions are left out.
#[must_use]
pub fn in_resource_ids(text: &str) -> Vec<SubscriptionId> {
    const KEY: &str = "/subscriptions/";
    let mut found: Vec<SubscriptionId> = Vec::new();
    // Through a set, not a walk over those found per id: a file may name any number.
    let mut seen = std::collections::HashSet::new();
    let mut rest = text;
    while let Some(at) = find_ascii_case_insensitive(rest, KEY) {
        rest = rest.get(at + KEY.len()..).unwrap_or_default();
        if let Some(sub) = rest.get(..36).and_then(SubscriptionId::parse)
            && seen.insert(sub)
        {
            found.push(sub);
        }
    }
    found
}

/// The last path segment of a resource id (`WDATP` in `.../settings/WDATP`), if any.
#[must_use]
pub fn last_segment(id: &str) -> Option<&str> {
    id.trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
}

fn segment_after_subscriptions(text: &str) -> Option<&str> {
    const KEY: &str = "/subscriptions/";
    let start = find_ascii_case_insensitive(text, KEY)? + KEY.len();
    let rest = text.get(start..)?;
    let end = rest.find(['/', '\'', '"', ' ', '?']).unwrap_or(rest.len());
    rest.get(..end).filter(|s| !s.is_empty())
}

/// Finds the subscription an error message names as its scope: `over scope
/// '/subscriptions/<GUID>...'` or `The subscription '<GUID>' could not be found.` Other GUIDs
/// in the message (client and object ids) are never taken.
#[must_use]
pub fn scope_of_message(message: &str) -> IdScope {
    let mut found = IdScope::None;
    let mut rest = message;
    while let Some(pos) = find_ascii_case_insensitive(rest, "subscription") {
        let Some(after) = rest.get(pos + "subscription".len()..) else {
            break;
        };
        let candidate = after
            .strip_prefix("s/")
            .or_else(|| after.strip_prefix(" '"))
            .or_else(|| after.strip_prefix(" \""))
            .and_then(|tail| {
                let end = tail.find(['/', '\'', '"', ' ', '?']).unwrap_or(tail.len());
                tail.get(..end)
            });
        if let Some(segment) = candidate.filter(|s| !s.is_empty()) {
            match SubscriptionId::parse(segment) {
                Some(sub) => return IdScope::Subscription(sub),
                None if looks_like_placeholder(segment) => {
                    found = IdScope::Redacted(segment.to_owned());
                }
                None => {}
            }
        }
        rest = after;
    }
    found
}

fn looks_like_placeholder(segment: &str) -> bool {
    segment.starts_with(['<', '{', '$'])
        || segment
            .chars()
            .all(|c| c == '0' || c == '-' || c == 'x' || c == 'y')
}

/// The position of `needle` in `haystack`, ignoring ASCII case.
pub(crate) fn find_ascii_case_insensitive(haystack: &str, needle: &str) -> Option<usize> {
    let needle = needle.as_bytes();
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// The outcome of looking for a subscription id in a file's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathScope {
    /// One GUID in the nearest path component that holds any.
    Found(SubscriptionId),
    /// The nearest component holding GUIDs holds two different ones.
    Ambiguous(String),
    /// No component holds a GUID.
    None,
}

/// Finds the GUID nearest to the file in its path: the file name first, then each folder
/// from the closest outwards. `/` and `\` both separate components.
#[must_use]
pub fn scope_of_path(path: &str) -> PathScope {
    for component in path.rsplit(['/', '\\']) {
        let mut guids = guids_in(component);
        let Some(first) = guids.next() else {
            continue;
        };
        if guids.any(|other| other != first) {
            return PathScope::Ambiguous(component.to_owned());
        }
        return PathScope::Found(first);
    }
    PathScope::None
}

/// Every GUID embedded in `text`, in order (placeholders excluded).
fn guids_in(text: &str) -> impl Iterator<Item = SubscriptionId> + '_ {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(35)).filter_map(move |start| {
        let before_ok = start == 0 || bytes.get(start - 1).is_some_and(|b| !b.is_ascii_hexdigit());
        let after_ok = bytes.get(start + 36).is_none_or(|b| !b.is_ascii_hexdigit());
        if !(before_ok && after_ok) {
            return None;
        }
        text.get(start..start + 36).and_then(SubscriptionId::parse)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUB: &str = "3f6c2a1e-8b4d-4c7a-9e2f-5d1b7a9c0e41";

    #[test]
    fn guid_is_lowercased_and_zero_guid_is_not_an_id() {
        assert_eq!(
            SubscriptionId::parse("3F6C2A1E-8B4D-4C7A-9E2F-5D1B7A9C0E41")
                .unwrap()
                .as_str(),
            SUB
        );
        assert!(SubscriptionId::parse("00000000-0000-0000-0000-000000000000").is_none());
        assert!(SubscriptionId::parse("3f6c2a1e8b4d-4c7a-9e2f-5d1b7a9c0e41x").is_none());
    }

    proptest::proptest! {
        /// `parse` accepts exactly the GUIDs (8-4-4-4-12 hex digits, any case) other than
        /// the all-zero one, whatever the text.
        #[test]
        fn parse_accepts_exactly_the_guids(text in "[0-9a-fA-FgG -]{34,38}|[0-9aF]{8}-[0-9aF]{4}-[0-9aF]{4}-[0-9aF]{4}-[0-9aF]{12}") {
            let bytes = text.as_bytes();
            let guid = bytes.len() == 36
                && bytes.iter().enumerate().all(|(i, b)| match i {
                    8 | 13 | 18 | 23 => *b == b'-',
                    _ => b.is_ascii_hexdigit(),
                });
            let zero = bytes.iter().all(|b| *b == b'0' || *b == b'-');
            let parsed = SubscriptionId::parse(&text);
            proptest::prop_assert_eq!(parsed.is_some(), guid && !zero, "{}", text);
            if let Some(id) = parsed {
                proptest::prop_assert_eq!(id.as_str(), text.to_ascii_lowercase());
            }
        }
    }

    #[test]
    fn resource_id_scope_distinguishes_redactions() {
        let id = format!(
            "/SUBSCRIPTIONS/{}/providers/Microsoft.Security/settings/WDATP",
            SUB.to_uppercase()
        );
        assert_eq!(
            scope_of_resource_id(&id),
            IdScope::Subscription(SubscriptionId::parse(SUB).unwrap())
        );
        assert_eq!(
            scope_of_resource_id("/subscriptions/<subscription>/providers/x"),
            IdScope::Redacted("<subscription>".into())
        );
        assert_eq!(
            scope_of_resource_id("/subscriptions/{subscriptionId}/providers/x"),
            IdScope::Redacted("{subscriptionId}".into())
        );
        assert_eq!(scope_of_resource_id("WDATP"), IdScope::None);
    }

    #[test]
    fn message_scope_ignores_client_and_object_ids() {
        let msg = format!(
            "The client '2d198592-b967-4752-b286-b2624d5cc8e6' with object id \
             '2d198592-b967-4752-b286-b2624d5cc8e6' does not have authorization to perform \
             action 'Microsoft.Security/settings/read' over scope '/subscriptions/{SUB}' or the scope is invalid."
        );
        assert_eq!(
            scope_of_message(&msg),
            IdScope::Subscription(SubscriptionId::parse(SUB).unwrap())
        );
        let not_found = format!("The subscription '{SUB}' could not be found.");
        assert_eq!(
            scope_of_message(&not_found),
            IdScope::Subscription(SubscriptionId::parse(SUB).unwrap())
        );
        assert_eq!(scope_of_message("Authentication failed."), IdScope::None);
        assert_eq!(
            scope_of_message("over scope '/subscriptions/yyyyyy/resourceGroups/x'"),
            IdScope::Redacted("yyyyyy".into())
        );
    }

    #[test]
    fn path_scope_prefers_file_name_then_nearest_folder() {
        let other = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
        assert_eq!(
            scope_of_path(&format!("evidence/{other}/wdatp_{SUB}.json")),
            PathScope::Found(SubscriptionId::parse(SUB).unwrap())
        );
        assert_eq!(
            scope_of_path(&format!("evidence/{other}/settings.json")),
            PathScope::Found(SubscriptionId::parse(other).unwrap())
        );
        assert_eq!(scope_of_path("evidence/settings.json"), PathScope::None);
        assert!(matches!(
            scope_of_path(&format!("x/{SUB}_vs_{other}.json")),
            PathScope::Ambiguous(_)
        ));
        assert_eq!(
            scope_of_path(&format!("x/{SUB}-{SUB}.json")),
            PathScope::Found(SubscriptionId::parse(SUB).unwrap())
        );
    }
}
