//! Renders the model's files as bytes in the layouts of the fixtures (REST bodies, az and
//! PowerShell JSON, az YAML and `--query` output, console tables, lists, CSV, TSV, jq/az
//! query TSV rows, transcripts, error text, CIS scalars, CLIXML archives, Excel "Unicode
//! Text", HAR logs of single calls and ARM batches, JSON with comments) and encodings,
//! recording while writing where each row's `enabled` value went (a JSON pointer or `line N`) and where each error or scalar is. The oracle reads only these
//! records and the model, never the bytes.

use std::fmt::Write as _;

use crate::model::{
    Block, Case, Container, Encoding, Failure, File, IdMode, Kind, Ps, RestStyle, Row, Switch,
    TsvColumns, Value, Wrapper,
};

/// A rendered file: its logical text, its bytes, and where things were written.
pub struct Rendered {
    pub text: String,
    pub bytes: Vec<u8>,
    /// Per block, per row: the location of the row's `enabled` value.
    pub row_locs: Vec<Vec<String>>,
    /// Per block: the location of its error record or scalar.
    pub block_locs: Vec<Option<String>>,
}

const CLIENT: &str = "0d06e3ff-b42e-45b5-97e8-1b41c4130df8";
const TENANT: &str = "cfe7d051-2224-4983-a9f3-2b88ec615d56";
const TYPE: &str = "Microsoft.Security/settings";

/// A JSON value with its keys in the order they are written.
enum J {
    Null,
    Bool(bool),
    Num(i64),
    Str(String),
    /// A string as Windows PowerShell 5.1's `ConvertTo-Json` escapes it (`<`, `>`, `&`, `'`
    /// as `\u003c` ...).
    Ps51Str(String),
    Arr(Vec<J>),
    Obj(Vec<(&'static str, J)>),
}

/// JSON layouts: compact, or pretty with an indent and a key separator.
#[derive(Clone, Copy)]
enum Fmt {
    Compact,
    Pretty(usize, &'static str),
}

const JQ: Fmt = Fmt::Pretty(2, ": ");
const PS51: Fmt = Fmt::Pretty(4, ":  ");

fn ps_fmt(ps: Ps) -> Fmt {
    match ps {
        Ps::V51 => PS51,
        Ps::V7 => JQ,
    }
}

fn write_json(value: &J, fmt: Fmt, level: usize, out: &mut String) {
    let (nl, pad, inner, sep) = match fmt {
        Fmt::Compact => (String::new(), String::new(), String::new(), ":"),
        Fmt::Pretty(n, sep) => (
            "\n".to_owned(),
            " ".repeat(n * level),
            " ".repeat(n * (level + 1)),
            sep,
        ),
    };
    match value {
        J::Null => out.push_str("null"),
        J::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        J::Num(n) => {
            let _ = write!(out, "{n}");
        }
        J::Str(s) => write_str(s, out),
        J::Ps51Str(s) => {
            let mut plain = String::new();
            write_str(s, &mut plain);
            for c in plain.chars() {
                match c {
                    '<' | '>' | '&' | '\'' => {
                        let _ = write!(out, "\\u{:04x}", u32::from(c));
                    }
                    c => out.push(c),
                }
            }
        }
        J::Arr(items) if items.is_empty() => out.push_str("[]"),
        J::Obj(items) if items.is_empty() => out.push_str("{}"),
        J::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&nl);
                out.push_str(&inner);
                write_json(item, fmt, level + 1, out);
            }
            out.push_str(&nl);
            out.push_str(&pad);
            out.push(']');
        }
        J::Obj(items) => {
            out.push('{');
            for (i, (key, item)) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&nl);
                out.push_str(&inner);
                write_str(key, out);
                out.push_str(sep);
                write_json(item, fmt, level + 1, out);
            }
            out.push_str(&nl);
            out.push_str(&pad);
            out.push('}');
        }
    }
}

fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The row's id as written, if it has one.
fn id(case: &Case, row: &Row) -> Option<String> {
    let scope = match row.id {
        IdMode::Full | IdMode::Cut => case.subs[row.sub].written(),
        IdMode::Redacted(0) => "<subscription>".to_owned(),
        IdMode::Redacted(1) => "{subscriptionId}".to_owned(),
        IdMode::Redacted(_) => "00000000-0000-0000-0000-000000000000".to_owned(),
        IdMode::None => return None,
    };
    Some(format!(
        "/subscriptions/{scope}/providers/Microsoft.Security/settings/{}",
        row.id_setting()
    ))
}

fn value_json(value: &Value) -> J {
    match value {
        Value::Bool(b) => J::Bool(*b),
        Value::Text(t) => J::Str(t.clone()),
        Value::Null | Value::Missing => J::Null,
        Value::Number => J::Num(1),
    }
}

/// A REST setting object; returns it and the pointer of its value below the object.
fn rest_object(case: &Case, row: &Row, style: RestStyle) -> (J, &'static str) {
    let (properties, at) = if style == RestStyle::Ps51Depth2 {
        // The nested object as PowerShell 5.1 writes it past the depth limit.
        let text = match &row.value {
            Value::Missing => "@{}".to_owned(),
            Value::Null => "@{enabled=}".to_owned(),
            other => format!("@{{enabled={}}}", other.word()),
        };
        (J::Str(text), "/properties")
    } else if row.value == Value::Missing {
        (J::Obj(Vec::new()), "/properties")
    } else {
        let mut properties = vec![("enabled", value_json(&row.value))];
        if row.dup {
            properties.push(("Enabled", opposite(&row.value)));
        }
        (J::Obj(properties), "/properties/enabled")
    };
    let id = J::Str(id(case, row).unwrap_or_default());
    let name = J::Str(row.name_text.clone());
    let kind = J::Str(row.name.kind().to_owned());
    let ty = J::Str(TYPE.to_owned());
    let object = match style {
        RestStyle::AzRest => vec![
            ("id", id),
            ("kind", kind),
            ("name", name),
            ("properties", properties),
            ("type", ty),
        ],
        RestStyle::Wire | RestStyle::Jq | RestStyle::Ps51Depth2 => vec![
            ("id", id),
            ("name", name),
            ("type", ty),
            ("kind", kind),
            ("properties", properties),
        ],
    };
    (J::Obj(object), at)
}

/// The other value of a duplicated boolean (`Row::dup`).
fn opposite(value: &Value) -> J {
    J::Bool(value.reading() != Some(true))
}

fn az_object(case: &Case, row: &Row) -> J {
    // az sorts keys: `Enabled` before `enabled`.
    let dup = row.dup.then(|| ("Enabled", opposite(&row.value)));
    J::Obj(
        dup.into_iter()
            .chain([
                ("enabled", value_json(&row.value)),
                ("id", J::Str(id(case, row).unwrap_or_default())),
                ("kind", J::Str(row.name.kind().to_owned())),
                ("name", J::Str(row.name_text.clone())),
                ("type", J::Str(TYPE.to_owned())),
            ])
            .collect(),
    )
}

fn ps_object(case: &Case, row: &Row, with_id: bool) -> J {
    if with_id {
        let mut object = vec![
            ("Enabled", value_json(&row.value)),
            ("Id", J::Str(id(case, row).unwrap_or_default())),
            ("Name", J::Str(row.name_text.clone())),
            ("Type", J::Str(TYPE.to_owned())),
        ];
        if row.dup {
            object.push(("enabled", opposite(&row.value)));
        }
        J::Obj(object)
    } else {
        J::Obj(vec![
            ("Name", J::Str(row.name_text.clone())),
            ("Enabled", value_json(&row.value)),
        ])
    }
}

fn error_message(case: &Case, failure: Failure, client: &str) -> (&'static str, String) {
    match failure {
        Failure::Denied(s) => (
            "AuthorizationFailed",
            format!(
                "The client '{client}' with object id '{CLIENT}' does not have authorization to \
                 perform action 'Microsoft.Security/settings/read' over scope \
                 '/subscriptions/{}/providers/Microsoft.Security/settings' or the scope is \
                 invalid. If access was recently granted, please refresh your credentials.",
                case.subs[s].written()
            ),
        ),
        Failure::NotFound(s) => (
            "SubscriptionNotFound",
            format!(
                "The subscription '{}' could not be found.",
                case.subs[s].written()
            ),
        ),
        Failure::Unscoped => (
            "ExpiredAuthenticationToken",
            "The access token expiry UTC time '3/14/2025 9:12:07 AM' is earlier than current \
             UTC time '3/14/2025 10:40:51 AM'."
                .to_owned(),
        ),
    }
}

/// A JSON block's top-level values, its rows' pointers (value index, pointer below it),
/// and its own pointer.
type JsonParts = (Vec<(J, Fmt)>, Vec<(usize, String)>, Option<String>);

/// One JSON block: its top-level values, with each row's pointer below its value, and the
/// block's own pointer (errors) below its (first) value.
#[allow(
    clippy::too_many_lines,
    reason = "one arm per shape reads best in one place"
)]
fn json_values(case: &Case, block: &Block) -> JsonParts {
    let rows = &block.rows;
    match &block.kind {
        Kind::RestList { style, next_link } => {
            let mut locs = Vec::new();
            let mut items = Vec::new();
            for (i, row) in rows.iter().enumerate() {
                let (object, at) = rest_object(case, row, *style);
                items.push(object);
                locs.push((0, format!("/value/{i}{at}")));
            }
            let mut body = vec![("value", J::Arr(items))];
            if *next_link {
                let sub = rows
                    .first()
                    .map_or_else(String::new, |r| case.subs[r.sub].written());
                body.push((
                    "nextLink",
                    J::Str(format!(
                        "https://management.azure.com/subscriptions/{sub}/providers/Microsoft.Security/settings?api-version=2022-05-01&$skiptoken=bWNhcy0y"
                    )),
                ));
            }
            let fmt = match style {
                RestStyle::Wire => Fmt::Compact,
                RestStyle::Ps51Depth2 => PS51,
                RestStyle::Jq | RestStyle::AzRest => JQ,
            };
            (vec![(J::Obj(body), fmt)], locs, None)
        }
        Kind::RestSetting { style } => {
            let (object, at) = rest_object(case, &rows[0], *style);
            let fmt = if *style == RestStyle::Wire {
                Fmt::Compact
            } else {
                JQ
            };
            (vec![(object, fmt)], vec![(0, at.to_owned())], None)
        }
        Kind::RestArray { ps } => {
            let mut locs = Vec::new();
            let items = rows
                .iter()
                .enumerate()
                .map(|(i, row)| {
                    let (object, at) = rest_object(case, row, RestStyle::Wire);
                    locs.push((0, format!("/{i}{at}")));
                    object
                })
                .collect();
            (vec![(J::Arr(items), ps_fmt(*ps))], locs, None)
        }
        Kind::JqStream { compact } => {
            let fmt = if *compact { Fmt::Compact } else { JQ };
            let mut locs = Vec::new();
            let values = rows
                .iter()
                .enumerate()
                .map(|(i, row)| {
                    let (object, at) = rest_object(case, row, RestStyle::Jq);
                    locs.push((i, at.to_owned()));
                    (object, fmt)
                })
                .collect();
            (values, locs, None)
        }
        Kind::AzArray => {
            let items = rows.iter().map(|r| az_object(case, r)).collect();
            let locs = (0..rows.len())
                .map(|i| (0, format!("/{i}/enabled")))
                .collect();
            (vec![(J::Arr(items), JQ)], locs, None)
        }
        Kind::AzShow => (
            vec![(az_object(case, &rows[0]), JQ)],
            vec![(0, "/enabled".to_owned())],
            None,
        ),
        Kind::PsJsonArray { ps, with_id } => {
            let items = rows.iter().map(|r| ps_object(case, r, *with_id)).collect();
            let locs = (0..rows.len())
                .map(|i| (0, format!("/{i}/Enabled")))
                .collect();
            (vec![(J::Arr(items), ps_fmt(*ps))], locs, None)
        }
        Kind::PsJsonSingle { ps, with_id } => (
            vec![(ps_object(case, &rows[0], *with_id), ps_fmt(*ps))],
            vec![(0, "/Enabled".to_owned())],
            None,
        ),
        Kind::ArmError { failure, compact } => {
            let (code, message) = error_message(case, *failure, CLIENT);
            let body = J::Obj(vec![(
                "error",
                J::Obj(vec![
                    ("code", J::Str(code.to_owned())),
                    ("message", J::Str(message)),
                ]),
            )]);
            let fmt = if *compact { Fmt::Compact } else { JQ };
            (vec![(body, fmt)], Vec::new(), Some("/error".to_owned()))
        }
        Kind::AccountShow { sub } => {
            let body = J::Obj(vec![
                ("environmentName", J::Str("AzureCloud".to_owned())),
                ("id", J::Str(case.subs[*sub].guid.clone())),
                ("isDefault", J::Bool(true)),
                ("name", J::Str("Contoso Production".to_owned())),
                ("state", J::Str("Enabled".to_owned())),
                ("tenantId", J::Str(TENANT.to_owned())),
            ]);
            (vec![(body, JQ)], Vec::new(), None)
        }
        Kind::Wrapped {
            wrapper: Wrapper::Invoke,
            inner,
        } => {
            let (body, locs, own) = inner_response(case, block, inner);
            let mut content = String::new();
            write_json(&body, Fmt::Compact, 0, &mut content);
            let header = |k: &str, v: &str| {
                J::Obj(vec![
                    ("Key", J::Str(k.to_owned())),
                    ("Value", J::Str(v.to_owned())),
                ])
            };
            let object = J::Obj(vec![
                (
                    "Headers",
                    J::Arr(vec![
                        header("Pragma", "no-cache"),
                        header("x-ms-request-id", "dcfd1035-cfe2-4442-8b32-1d9d23b71002"),
                        header("Cache-Control", "no-cache"),
                        header("Date", "Tue, 05 Nov 2024 10:15:03 GMT"),
                    ]),
                ),
                ("Version", J::Str("1.1".to_owned())),
                ("StatusCode", J::Num(status(inner).0.into())),
                ("Method", J::Str("GET".to_owned())),
                ("Content", J::Ps51Str(content)),
            ]);
            (
                vec![(object, PS51)],
                locs.into_iter()
                    .map(|at| (0, format!("/Content#{at}")))
                    .collect(),
                own.map(|at| format!("/Content#{at}")),
            )
        }
        Kind::Wrapped {
            wrapper: Wrapper::DocExample,
            inner,
        } => {
            let (body, locs, own) = inner_response(case, block, inner);
            let sub = block
                .rows
                .first()
                .map_or_else(String::new, |r| case.subs[r.sub].guid.clone());
            let object = J::Obj(vec![
                (
                    "parameters",
                    J::Obj(vec![
                        ("api-version", J::Str("2022-05-01".to_owned())),
                        ("subscriptionId", J::Str(sub)),
                    ]),
                ),
                (
                    "responses",
                    J::Obj(vec![("200", J::Obj(vec![("body", body)]))]),
                ),
            ]);
            (
                vec![(object, JQ)],
                locs.into_iter()
                    .map(|at| (0, format!("/responses/200/body{at}")))
                    .collect(),
                own.map(|at| format!("/responses/200/body{at}")),
            )
        }
        Kind::AzQuery { text } => (
            vec![(J::Arr(vec![J::Bool(text == "true")]), JQ)],
            Vec::new(),
            Some("/0".to_owned()),
        ),
        Kind::EmptyList => (
            vec![(J::Obj(vec![("value", J::Arr(Vec::new()))]), Fmt::Compact)],
            Vec::new(),
            None,
        ),
        other => panic!("not a JSON kind: {other:?}"),
    }
}

/// The REST response a wrapper holds: its body, its rows' pointers and its own (error)
/// pointer, relative to the body.
fn inner_response(case: &Case, block: &Block, inner: &Kind) -> (J, Vec<String>, Option<String>) {
    let inner_block = Block {
        kind: inner.clone(),
        rows: block.rows.clone(),
    };
    let (mut values, locs, own) = json_values(case, &inner_block);
    let (body, _) = values.remove(0);
    (body, locs.into_iter().map(|(_, at)| at).collect(), own)
}

/// The HTTP status a REST response came with.
fn status(inner: &Kind) -> (u16, &'static str) {
    match inner.failure() {
        Some(Failure::Denied(_)) => (403, "Forbidden"),
        Some(Failure::NotFound(_)) => (404, "Not Found"),
        Some(Failure::Unscoped) => (401, "Unauthorized"),
        None => (200, "OK"),
    }
}

/// A `curl -i` capture: (an interim `100 Continue`,) status line, headers, blank line, the
/// compact body. Lines end with `\n` here; the file is written with CRLF.
fn render_http(case: &Case, file: &File) -> (String, Vec<Vec<String>>, Vec<Option<String>>) {
    let block = &file.blocks[0];
    let Kind::Wrapped {
        wrapper: Wrapper::Http { interim },
        inner,
    } = &block.kind
    else {
        panic!("not an HTTP capture: {:?}", block.kind);
    };
    let (body, locs, own) = inner_response(case, block, inner);
    let mut json = String::new();
    write_json(&body, Fmt::Compact, 0, &mut json);
    let (code, reason) = status(inner);
    let mut text = String::new();
    if *interim {
        text.push_str("HTTP/1.1 100 Continue\n\n");
    }
    let _ = write!(
        text,
        "HTTP/1.1 {code} {reason}\nCache-Control: no-cache\nPragma: no-cache\n\
         Content-Length: {}\nContent-Type: application/json; charset=utf-8\nExpires: -1\n",
        json.len()
    );
    if code != 200 {
        text.push_str("x-ms-failure-cause: gateway\n");
    }
    text.push_str(
        "x-ms-request-id: 83ece205-84bc-4fa6-b7c5-b4514afb976b\n\
         x-ms-correlation-request-id: 81302200-357c-47ce-862b-e4f90a82b966\n\
         x-ms-routing-request-id: WESTEUROPE:20241105T094211Z:81302200-357c-47ce-862b-e4f90a82b966\n\
         Strict-Transport-Security: max-age=31536000; includeSubDomains\n\
         X-Content-Type-Options: nosniff\n\
         Date: Tue, 05 Nov 2024 09:42:11 GMT\n\n",
    );
    text.push_str(&json);
    if file.final_newline {
        text.push('\n');
    }
    (
        text,
        vec![locs.into_iter().map(|at| format!("body#{at}")).collect()],
        vec![own.map(|at| format!("body#{at}"))],
    )
}

fn render_json(case: &Case, file: &File) -> (String, Vec<Vec<String>>, Vec<Option<String>>) {
    let mut parts = Vec::new();
    for block in &file.blocks {
        parts.push(json_values(case, block));
    }
    let total: usize = parts.iter().map(|(values, _, _)| values.len()).sum();
    let prefix = |k: usize| {
        if total > 1 {
            format!("/{k}")
        } else {
            String::new()
        }
    };
    let mut text = String::new();
    let mut row_locs = Vec::new();
    let mut block_locs = Vec::new();
    let mut first = 0;
    if file.comments {
        text.push_str(
            "// az security setting list -o json > settings.json\n\
             /* saved for the audit, see https://learn.microsoft.com/cli/azure/security */\n",
        );
    }
    for (values, locs, own) in parts {
        row_locs.push(
            locs.into_iter()
                .map(|(k, at)| format!("{}{at}", prefix(first + k)))
                .collect(),
        );
        block_locs.push(own.map(|at| format!("{}{at}", prefix(first))));
        let count = values.len();
        for (mut value, fmt) in values {
            let mut json = String::new();
            if file.comments
                && let J::Obj(items) = &mut value
            {
                // A string holding what would be comments outside it.
                items.insert(0, ("$comment", J::Str(SCHEMA_NOTE.to_owned())));
            }
            write_json(&value, fmt, 0, &mut json);
            if file.comments {
                json = commented(&json);
            }
            text.push_str(&json);
            text.push('\n');
        }
        first += count;
    }
    if !file.final_newline {
        text.pop();
    }
    (text, row_locs, block_locs)
}

/// A string of a commented JSON file that holds `//` and `/* */` inside it.
const SCHEMA_NOTE: &str =
    "https://schema.management.azure.com/schemas//settings.json /* not a comment */ // nor this";

/// A JSON value with comments: `/* */` at the start of every third line (after its
/// indentation), `// ...` at the end of every other line. Line ends of JSON text are never
/// inside strings, so neither lands in one.
fn commented(json: &str) -> String {
    let mut out = String::new();
    for (i, line) in json.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        out.push_str(indent);
        if i % 3 == 1 {
            out.push_str("/* checked \"by hand\", // not a line comment, ** */ ");
        }
        out.push_str(body);
        if i % 2 == 0 {
            out.push_str(" // reviewed: https://portal.azure.com/#view/x /* not a block \"");
        }
    }
    out
}

/// A HAR request URL of a block's call: the settings list, or one setting, of its
/// subscription.
fn har_url(case: &Case, block: &Block, inner: &Kind) -> String {
    let sub = block
        .rows
        .first()
        .map(|r| r.sub)
        .or(inner.failure().and_then(Failure::scope))
        .expect("a HAR call names its subscription");
    let one = match inner {
        Kind::RestSetting { .. } => format!("/{}", block.rows[0].name_text),
        _ => String::new(),
    };
    format!(
        "https://management.azure.com/subscriptions/{}/providers/Microsoft.Security/settings{one}?api-version=2022-05-01",
        case.subs[sub].written()
    )
}

/// One HAR entry: a request and its response, with the headers and timings browsers add.
fn har_entry(
    method: &str,
    url: &str,
    post: Option<String>,
    status: u16,
    text: String,
    base64: bool,
) -> J {
    let header = |k: &str, v: &str| {
        J::Obj(vec![
            ("name", J::Str(k.to_owned())),
            ("value", J::Str(v.to_owned())),
        ])
    };
    let mut request = vec![
        ("method", J::Str(method.to_owned())),
        ("url", J::Str(url.to_owned())),
        ("httpVersion", J::Str("http/2.0".to_owned())),
        (
            "headers",
            J::Arr(vec![
                header(":authority", "management.azure.com"),
                header("authorization", "Bearer REDACTED"),
            ]),
        ),
        ("cookies", J::Arr(Vec::new())),
        ("headersSize", J::Num(-1)),
        ("bodySize", J::Num(0)),
    ];
    if let Some(post) = post {
        request.push((
            "postData",
            J::Obj(vec![
                ("mimeType", J::Str("application/json".to_owned())),
                ("text", J::Str(post)),
            ]),
        ));
    }
    let reason = match status {
        200 => "",
        401 => "Unauthorized",
        403 => "Forbidden",
        _ => "Not Found",
    };
    J::Obj(vec![
        (
            "_initiator",
            J::Obj(vec![("type", J::Str("script".to_owned()))]),
        ),
        ("_resourceType", J::Str("fetch".to_owned())),
        ("cache", J::Obj(Vec::new())),
        ("request", J::Obj(request)),
        (
            "response",
            J::Obj(vec![
                ("status", J::Num(status.into())),
                ("statusText", J::Str(reason.to_owned())),
                ("httpVersion", J::Str("http/2.0".to_owned())),
                (
                    "headers",
                    J::Arr(vec![header(
                        "content-type",
                        "application/json; charset=utf-8",
                    )]),
                ),
                ("cookies", J::Arr(Vec::new())),
                ("content", {
                    let mut content = vec![
                        ("size", J::Num(i64::try_from(text.len()).unwrap())),
                        (
                            "mimeType",
                            J::Str("application/json; charset=utf-8".to_owned()),
                        ),
                    ];
                    if base64 {
                        use base64::Engine as _;
                        let encoded = base64::engine::general_purpose::STANDARD.encode(text);
                        content.push(("text", J::Str(encoded)));
                        content.push(("encoding", J::Str("base64".to_owned())));
                    } else {
                        content.push(("text", J::Str(text)));
                    }
                    J::Obj(content)
                }),
                ("redirectURL", J::Str(String::new())),
                ("headersSize", J::Num(-1)),
                ("bodySize", J::Num(-1)),
            ]),
        ),
        ("serverIPAddress", J::Str("4.150.240.10".to_owned())),
        (
            "startedDateTime",
            J::Str("2024-11-19T14:02:12.417Z".to_owned()),
        ),
        ("time", J::Num(211)),
    ])
}

/// A settings call of a HAR log: its URL, response body, the pointers of its rows in the
/// body, and its status.
type HarCall = (String, J, Vec<String>, u16);

/// The ARM batch entry carrying a pricings request and the calls, its responses in reverse
/// order when `reversed`; records where each call's rows and failure are.
#[allow(
    clippy::too_many_arguments,
    reason = "the flags of the batch, and the two records it writes"
)]
fn har_batch(
    case: &Case,
    calls: Vec<HarCall>,
    reversed: bool,
    base64: bool,
    shared_name: bool,
    row_locs: &mut Vec<Vec<String>>,
    block_locs: &mut Vec<Option<String>>,
) -> J {
    let name = |k: usize| format!("5e7a9c1b-3d5f-4a7b-9c1d-3e5f7a9b1{k:03}");
    let pricings = format!(
        "https://management.azure.com/subscriptions/{}/providers/Microsoft.Security/pricings?api-version=2024-01-01",
        case.subs[0].written()
    );
    let mut requests = vec![J::Obj(vec![
        ("httpMethod", J::Str("GET".to_owned())),
        ("name", J::Str(name(0))),
        ("url", J::Str(pricings)),
    ])];
    let mut responses = vec![J::Obj(vec![
        ("name", J::Str(name(0))),
        ("httpStatusCode", J::Num(200)),
        ("content", J::Obj(vec![("value", J::Arr(Vec::new()))])),
    ])];
    let count = calls.len() + 1;
    // Where response k of the requests is written in the responses array.
    let position = |k: usize| if reversed { count - 1 - k } else { k };
    for (b, (url, body, locs, code)) in calls.into_iter().enumerate() {
        let k = b + 1;
        // Requests sharing one name are matched to their responses by position.
        let named = if shared_name { 1 } else { k };
        requests.push(J::Obj(vec![
            ("httpMethod", J::Str("GET".to_owned())),
            ("name", J::Str(name(named))),
            ("url", J::Str(url)),
        ]));
        responses.push(J::Obj(vec![
            ("name", J::Str(name(named))),
            ("httpStatusCode", J::Num(code.into())),
            (
                "headers",
                J::Obj(vec![("Cache-Control", J::Str("no-cache".to_owned()))]),
            ),
            ("content", body),
        ]));
        let at = format!(
            "/log/entries/1/response/content/text#/responses/{}",
            position(k)
        );
        row_locs.push(
            locs.into_iter()
                .map(|l| format!("{at}/content{l}"))
                .collect(),
        );
        block_locs.push((code != 200).then(|| format!("{at}/httpStatusCode")));
    }
    if reversed {
        responses.reverse();
    }
    let mut post = String::new();
    write_json(
        &J::Obj(vec![("requests", J::Arr(requests))]),
        Fmt::Compact,
        0,
        &mut post,
    );
    let mut reply = String::new();
    write_json(
        &J::Obj(vec![("responses", J::Arr(responses))]),
        Fmt::Compact,
        0,
        &mut reply,
    );
    har_entry(
        "POST",
        "https://management.azure.com/batch?api-version=2020-06-01",
        Some(post),
        200,
        reply,
        base64,
    )
}

/// A browser's HAR log of the portal: an unrelated request first, then each block's call as
/// an entry of its own, or all of them (after a pricings request) in one ARM batch.
fn render_har(case: &Case, file: &File) -> (String, Vec<Vec<String>>, Vec<Option<String>>) {
    let Some(Kind::Wrapped {
        wrapper:
            Wrapper::Har {
                batch,
                reversed,
                base64,
                shared_name,
            },
        ..
    }) = file.blocks.first().map(|b| &b.kind)
    else {
        panic!("not a HAR log: {:?}", file.blocks);
    };
    let mut entries = vec![har_entry(
        "GET",
        "https://portal.azure.com/api/Portal/GetEarlyUserData",
        None,
        200,
        r#"{"userSettings":{"theme":"dark"}}"#.to_owned(),
        *base64,
    )];
    let mut row_locs = Vec::new();
    let mut block_locs = Vec::new();
    let calls: Vec<HarCall> = file
        .blocks
        .iter()
        .map(|block| {
            let Kind::Wrapped { inner, .. } = &block.kind else {
                panic!("not a HAR call: {:?}", block.kind);
            };
            let (body, locs, _) = inner_response(case, block, inner);
            (har_url(case, block, inner), body, locs, status(inner).0)
        })
        .collect();
    if *batch {
        entries.push(har_batch(
            case,
            calls,
            *reversed,
            *base64,
            *shared_name,
            &mut row_locs,
            &mut block_locs,
        ));
    } else {
        for (b, (url, body, locs, code)) in calls.into_iter().enumerate() {
            let e = b + 1;
            let mut text = String::new();
            write_json(&body, Fmt::Compact, 0, &mut text);
            entries.push(har_entry("GET", &url, None, code, text, *base64));
            row_locs.push(
                locs.into_iter()
                    .map(|l| format!("/log/entries/{e}/response/content/text#{l}"))
                    .collect(),
            );
            block_locs.push((code != 200).then(|| format!("/log/entries/{e}/response/status")));
        }
    }
    let har = J::Obj(vec![(
        "log",
        J::Obj(vec![
            ("version", J::Str("1.2".to_owned())),
            (
                "creator",
                J::Obj(vec![
                    ("name", J::Str("WebInspector".to_owned())),
                    ("version", J::Str("537.36".to_owned())),
                ]),
            ),
            ("pages", J::Arr(Vec::new())),
            ("entries", J::Arr(entries)),
        ]),
    )]);
    let mut text = String::new();
    write_json(&har, JQ, 0, &mut text);
    if file.final_newline {
        text.push('\n');
    }
    (text, row_locs, block_locs)
}

/// An az loop's output with `2>&1`: JSON documents and error text one after another. A
/// JSON document's pointers are its own on line 1, else prefixed `line N#` (N the line it
/// starts on: README "Errors beside evidence").
fn render_mixed(
    case: &Case,
    file: &File,
    compact: bool,
) -> (String, Vec<Vec<String>>, Vec<Option<String>>) {
    let mut out = Lines::default();
    let mut row_locs = Vec::new();
    let mut block_locs = Vec::new();
    for block in &file.blocks {
        if matches!(
            block.kind,
            Kind::AzErrorText { .. } | Kind::PsErrorText { .. } | Kind::PsErrorConcise { .. }
        ) {
            let (locs, own) = text_block(case, block, &mut out);
            row_locs.push(locs);
            block_locs.push(own);
            continue;
        }
        let (values, locs, own) = json_values(case, block);
        let start = out.0.len() + 1;
        let prefix = if start == 1 {
            String::new()
        } else {
            format!("line {start}#")
        };
        for (value, fmt) in values {
            let mut json = String::new();
            let fmt = if compact { Fmt::Compact } else { fmt };
            write_json(&value, fmt, 0, &mut json);
            for line in json.split('\n') {
                out.push(line);
            }
        }
        row_locs.push(
            locs.into_iter()
                .map(|(_, at)| format!("{prefix}{at}"))
                .collect(),
        );
        block_locs.push(own.map(|at| format!("{prefix}{at}")));
    }
    let mut text = out.0.join("\n");
    if !out.0.is_empty() && file.final_newline {
        text.push('\n');
    }
    (text, row_locs, block_locs)
}

/// Text under construction, line by line.
#[derive(Default)]
struct Lines(Vec<String>);

impl Lines {
    /// Adds a line; returns its 1-based number.
    fn push(&mut self, line: impl Into<String>) -> usize {
        self.0.push(line.into());
        self.0.len()
    }

    fn loc(n: usize) -> String {
        format!("line {n}")
    }
}

fn width(items: impl Iterator<Item = usize>, min: usize) -> usize {
    items.fold(min, usize::max)
}

/// The id a console table shows: cut short, whole, or redacted.
fn table_id(case: &Case, row: &Row, ps: Ps) -> String {
    let full = id(case, row).unwrap_or_default();
    if row.id != IdMode::Cut {
        return full;
    }
    match ps {
        Ps::V51 => format!("{}...", &full[..45]),
        Ps::V7 => format!("{}\u{2026}", &full[..78]),
    }
}

/// Writes one text block; returns the line of each row's value and of the block's record.
#[allow(
    clippy::too_many_lines,
    reason = "one arm per shape reads best in one place"
)]
fn text_block(case: &Case, block: &Block, out: &mut Lines) -> (Vec<String>, Option<String>) {
    let rows = &block.rows;
    let mut locs = Vec::new();
    let mut own = None;
    match &block.kind {
        Kind::AzTable => {
            let kw = width(rows.iter().map(|r| r.name.kind().len()), 4);
            let nw = width(rows.iter().map(|r| r.name_text.len()), 4);
            out.push(format!(
                "{:<9}  {:<kw$}  {:<nw$}",
                "Enabled", "Kind", "Name"
            ));
            out.push(format!(
                "{}  {}  {}",
                "-".repeat(9),
                "-".repeat(kw),
                "-".repeat(nw)
            ));
            for r in rows {
                let n = out.push(format!(
                    "{:<9}  {:<kw$}  {:<nw$}",
                    r.value.word(),
                    r.name.kind(),
                    r.name_text
                ));
                locs.push(Lines::loc(n));
            }
        }
        Kind::AzTsv => {
            for r in rows {
                let n = out.push(format!(
                    "{}\t{}\t{}\t{}\t{TYPE}",
                    r.value.word(),
                    id(case, r).unwrap_or_default(),
                    r.name.kind(),
                    r.name_text
                ));
                locs.push(Lines::loc(n));
            }
        }
        Kind::QueryTsv { columns } => {
            for r in rows {
                // jq prints JSON's `true`/`false`, az's tsv Python's `True`/`False`.
                let value = match r.value {
                    Value::Bool(b) if *columns != TsvColumns::Id => b.to_string(),
                    Value::Null => String::new(),
                    ref other => other.word(),
                };
                let line = match columns {
                    TsvColumns::Name => format!("{}\t{value}", r.name_text),
                    TsvColumns::IdName => format!(
                        "{}\t{}\t{value}",
                        id(case, r).unwrap_or_default(),
                        r.name_text
                    ),
                    TsvColumns::Id => {
                        format!("{}\t{value}", id(case, r).unwrap_or_default())
                    }
                };
                locs.push(Lines::loc(out.push(line)));
            }
        }
        Kind::AzYaml { show, ansi } => {
            // `-o yamlc` colours keys blue, strings yellow, other scalars cyan.
            let (key, text, other, end) = if *ansi {
                ("\u{1b}[94m", "\u{1b}[93m", "\u{1b}[96m", "\u{1b}[39m")
            } else {
                ("", "", "", "")
            };
            let k = |name: &str| format!("{key}{name}{end}");
            let t = |value: &str| format!("{text}{value}{end}");
            for (i, r) in rows.iter().enumerate() {
                let (first, pad) = if *show { ("", "") } else { ("- ", "  ") };
                let value = match &r.value {
                    Value::Bool(b) => format!("{other}{b}{end}"),
                    Value::Text(v) => t(&format!("'{}'", v.replace('\'', "''"))),
                    Value::Null | Value::Missing => format!("{other}null{end}"),
                    Value::Number => format!("{other}1{end}"),
                };
                out.push(format!("{first}{}: {value}", k("enabled")));
                locs.push(if *show {
                    "/enabled".to_owned()
                } else {
                    format!("/{i}/enabled")
                });
                out.push(format!(
                    "{pad}{}: {}",
                    k("id"),
                    t(&id(case, r).unwrap_or_default())
                ));
                out.push(format!("{pad}{}: {}", k("kind"), t(r.name.kind())));
                out.push(format!("{pad}{}: {}", k("name"), t(&r.name_text)));
                out.push(format!("{pad}{}: {}", k("type"), t(TYPE)));
            }
        }
        Kind::Csv {
            type_line,
            semicolon,
            with_id,
            broken,
        } => {
            let d = if *semicolon { ";" } else { "," };
            let q = |cells: &[String]| {
                cells
                    .iter()
                    .map(|c| format!("\"{c}\""))
                    .collect::<Vec<_>>()
                    .join(d)
            };
            if *type_line {
                out.push(format!(
                    "#TYPE {}Microsoft.Azure.Commands.Security.Models.Settings.PSSecurityDataExportSetting",
                    if *with_id { "" } else { "Selected." }
                ));
            }
            if *with_id {
                out.push(q(&[
                    "Enabled".into(),
                    "Id".into(),
                    "Name".into(),
                    "Type".into(),
                ]));
            } else if rows.iter().any(|r| r.dup) {
                out.push(q(&["Name".into(), "Enabled".into(), "enabled".into()]));
            } else {
                out.push(q(&["Name".into(), "Enabled".into()]));
            }
            for (i, r) in rows.iter().enumerate() {
                let line = if *broken == Some(i) {
                    format!("\"{}{d}\"{}\"", r.name_text, r.value.word())
                } else if *with_id {
                    q(&[
                        r.value.word(),
                        id(case, r).unwrap_or_default(),
                        r.name_text.clone(),
                        TYPE.to_owned(),
                    ])
                } else if rows.iter().any(|r| r.dup) {
                    q(&[r.name_text.clone(), r.value.word(), dup_word(r)])
                } else {
                    q(&[r.name_text.clone(), r.value.word()])
                };
                locs.push(Lines::loc(out.push(line)));
            }
        }
        Kind::PsTable2 { .. } if rows.iter().any(|r| r.dup) => {
            // A repeated column (`Select-Object Name,Enabled,enabled` of a renamed property).
            let nw = width(rows.iter().map(|r| r.name_text.len()), 4);
            out.push("");
            out.push(format!("{:<nw$} Enabled enabled", "Name"));
            out.push(format!("{:<nw$} ------- -------", "----"));
            for r in rows {
                let n = out.push(format!(
                    "{:<nw$} {:>7} {:>7}",
                    r.name_text,
                    r.value.word(),
                    dup_word(r)
                ));
                locs.push(Lines::loc(n));
            }
            out.push("");
            out.push("");
        }
        Kind::PsTable2 { ansi } => {
            let nw = width(rows.iter().map(|r| r.name_text.len()), 4);
            out.push("");
            if *ansi {
                out.push(format!("{G}{:<nw$}{R} {G}Enabled{R}", "Name"));
                out.push(format!("{G}{:<nw$}{R} {G}-------{R}", "----"));
            } else {
                out.push(format!("{:<nw$} Enabled", "Name"));
                out.push(format!("{:<nw$} -------", "----"));
            }
            for r in rows {
                let n = out.push(format!("{:<nw$} {:>7}", r.name_text, r.value.word()));
                locs.push(Lines::loc(n));
            }
            out.push("");
            out.push("");
        }
        Kind::PsTable4 { ps, ansi } => {
            let ids: Vec<String> = rows.iter().map(|r| table_id(case, r, *ps)).collect();
            let iw = width(ids.iter().map(|i| i.chars().count()), 2);
            let nw = width(rows.iter().map(|r| r.name_text.len()), 4);
            out.push("");
            if *ansi {
                out.push(format!(
                    "{G}Enabled{R} {G}{:<iw$}{R} {G}{:<nw$}{R} {G}Type{R}",
                    "Id", "Name"
                ));
                out.push(format!(
                    "{G}-------{R} {G}{:<iw$}{R} {G}{:<nw$}{R} {G}----{R}",
                    "--", "----"
                ));
            } else {
                out.push(format!("Enabled {:<iw$} {:<nw$} Type", "Id", "Name"));
                out.push(format!("------- {:<iw$} {:<nw$} ----", "--", "----"));
            }
            for (r, i) in rows.iter().zip(&ids) {
                let n = out.push(format!(
                    "{:>7} {i:<iw$} {:<nw$} {TYPE}",
                    r.value.word(),
                    r.name_text
                ));
                locs.push(Lines::loc(n));
            }
            out.push("");
            out.push("");
        }
        Kind::PsList { select } => {
            out.push("");
            for r in rows {
                if *select {
                    out.push(format!("Name    : {}", r.name_text));
                    locs.push(Lines::loc(
                        out.push(format!("Enabled : {}", r.value.word())),
                    ));
                } else {
                    locs.push(Lines::loc(
                        out.push(format!("Enabled : {}", r.value.word())),
                    ));
                    out.push(format!("Id      : {}", id(case, r).unwrap_or_default()));
                    out.push(format!("Name    : {}", r.name_text));
                    out.push(format!("Type    : {TYPE}"));
                    if r.dup {
                        out.push(format!(
                            "enabled : {}",
                            Value::Bool(r.value.reading() != Some(true)).word()
                        ));
                    }
                }
                out.push("");
            }
            out.push("");
        }
        Kind::AzErrorText { failure, wrapped } => {
            let (code, message) = error_message(case, *failure, "auditor@contoso.com");
            let prefix = if *wrapped { "az : " } else { "" };
            own = Some(Lines::loc(
                out.push(format!("{prefix}ERROR: ({code}) {message}")),
            ));
            if *wrapped {
                out.push("At line:1 char:1");
                out.push("+ az security setting list -o json 2> C:\\audit\\az-settings-err.txt");
                out.push("+ ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~");
                out.push("    + CategoryInfo          : NotSpecified: (ERROR: (Authori...ur credentials.:String) [], RemoteException");
                out.push("    + FullyQualifiedErrorId : NativeCommandError");
                out.push(" ");
            }
            out.push(format!("Code: {code}"));
            out.push(format!("Message: {message}"));
        }
        Kind::PsErrorText { failure } => {
            let message = match failure {
                Failure::Unscoped => {
                    "Operation returned an invalid status code 'Forbidden'".to_owned()
                }
                other => error_message(case, *other, "auditor@contoso.com").1,
            };
            own = Some(Lines::loc(
                out.push(format!("Get-AzSecuritySetting : {message}")),
            ));
            out.push("At line:1 char:1");
            out.push("+ Get-AzSecuritySetting");
            out.push("+ ~~~~~~~~~~~~~~~~~~~~~");
            out.push("    + CategoryInfo          : CloseError: (:) [Get-AzSecuritySetting], ErrorResponseException");
            out.push("    + FullyQualifiedErrorId : Microsoft.Azure.Commands.Security.Cmdlets.Settings.GetSettings");
            out.push(" ");
        }
        Kind::Scalar { text } => {
            own = Some(Lines::loc(out.push(text.clone())));
        }
        Kind::Clixml { select, .. } => {
            locs = clixml(case, rows, *select, out);
        }
        Kind::ExcelText { with_id, type_line } => {
            let cell = |v: &Value| match v {
                Value::Bool(true) => "TRUE".to_owned(),
                Value::Bool(false) => "FALSE".to_owned(),
                other => other.word(),
            };
            if *type_line {
                out.push(format!(
                    "#TYPE {}Microsoft.Azure.Commands.Security.Models.Settings.PSSecurityDataExportSetting",
                    if *with_id { "" } else { "Selected." }
                ));
            }
            out.push(if *with_id {
                "Enabled\tId\tName\tType"
            } else {
                "Name\tEnabled"
            });
            for r in rows {
                let line = if *with_id {
                    format!(
                        "{}\t{}\t{}\t{TYPE}",
                        cell(&r.value),
                        id(case, r).unwrap_or_default(),
                        r.name_text
                    )
                } else {
                    format!("{}\t{}", r.name_text, cell(&r.value))
                };
                locs.push(Lines::loc(out.push(line)));
            }
        }
        Kind::SubTable { column, csv: true } => {
            out.push(format!("\"Name\",\"Enabled\",\"{column}\""));
            for r in rows {
                let sub = case.subs[r.sub].written();
                let line = format!("\"{}\",\"{}\",\"{sub}\"", r.name_text, r.value.word());
                locs.push(Lines::loc(out.push(line)));
            }
        }
        Kind::SubTable { column, csv: false } => {
            let nw = width(rows.iter().map(|r| r.name_text.len()), 4);
            out.push("");
            out.push(format!("{:<nw$} Enabled {column}", "Name"));
            out.push(format!(
                "{:<nw$} ------- {}",
                "----",
                "-".repeat(column.len())
            ));
            for r in rows {
                let sub = case.subs[r.sub].written();
                let n = out.push(format!("{:<nw$} {:>7} {sub}", r.name_text, r.value.word()));
                locs.push(Lines::loc(n));
            }
            out.push("");
            out.push("");
        }
        Kind::AutoSizeTable => {
            let ids: Vec<String> = rows
                .iter()
                .map(|r| id(case, r).unwrap_or_default())
                .collect();
            let iw = width(ids.iter().map(String::len), 2);
            out.push("");
            out.push("WARNING: 2 columns do not fit into the display and were removed.");
            out.push("");
            out.push(format!("Enabled {:<iw$}", "Id"));
            out.push(format!("------- {:<iw$}", "--"));
            for (r, i) in rows.iter().zip(&ids) {
                let n = out.push(format!("{:>7} {i}", r.value.word()));
                locs.push(Lines::loc(n));
            }
            out.push("");
            out.push("");
        }
        Kind::PsErrorConcise { failure } => {
            let message = match failure {
                Failure::Unscoped => {
                    "Operation returned an invalid status code 'Forbidden'".to_owned()
                }
                other => format!(
                    "Operation returned an invalid status code 'Forbidden' {}",
                    error_message(case, *other, "auditor@contoso.com").1
                ),
            };
            own = Some(Lines::loc(
                out.push("Get-AzSecuritySetting: C:\\audit\\collect-defender.ps1:14"),
            ));
            out.push("Line |");
            out.push("  14 |      Get-AzSecuritySetting | Select-Object Name, Enabled");
            out.push("     |      ~~~~~~~~~~~~~~~~~~~~~");
            // The console wraps the message at its width, inside words.
            let chars: Vec<char> = message.chars().collect();
            for piece in chars.chunks(86) {
                out.push(format!("     | {}", piece.iter().collect::<String>()));
            }
        }
        Kind::Empty => {}
        Kind::Context { sub, table, .. } => {
            if let Some(whole) = table {
                let guid = case.subs[*sub].written();
                let display = display_name(*sub);
                let name = if *whole {
                    format!("{display} ({guid}) - auditor@contoso.com")
                } else {
                    // The console cuts the Name column at 40 characters.
                    let full = format!("{display} ({guid})");
                    format!("{}...", &full[..37])
                };
                let nw = name.len().max(40);
                out.push("");
                out.push(format!(
                    "{:<nw$} {:<19} {:<19} {:<19} TenantId",
                    "Name", "Account", "SubscriptionName", "Environment"
                ));
                out.push(format!(
                    "{:<nw$} {:<19} {:<19} {:<19} --------",
                    "----", "-------", "----------------", "-----------"
                ));
                out.push(format!(
                    "{name:<nw$} {:<19} {display:<19} {:<19} {TENANT}",
                    "auditor@contoso.com", "AzureCloud"
                ));
                out.push("");
                out.push("");
            }
        }
        other => panic!("not a text kind: {other:?}"),
    }
    (locs, own)
}

/// The other value of a duplicated boolean, as a word (`Row::dup`; the row's own value
/// when it is not duplicated).
fn dup_word(row: &Row) -> String {
    if row.dup {
        Value::Bool(row.value.reading() != Some(true)).word()
    } else {
        row.value.word()
    }
}

/// Text as XML writes it.
fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `Export-Clixml` of the rows; returns the line of each row's `Enabled` element.
fn clixml(case: &Case, rows: &[Row], select: bool, out: &mut Lines) -> Vec<String> {
    const MODEL: &str =
        "Microsoft.Azure.Commands.Security.Models.Settings.PSSecurityDataExportSetting";
    let mut locs = Vec::new();
    let enabled = |v: &Value| match v {
        Value::Bool(b) => format!("<B N=\"Enabled\">{b}</B>"),
        Value::Text(t) => format!("<S N=\"Enabled\">{}</S>", xml(t)),
        Value::Null | Value::Missing => "<Nil N=\"Enabled\" />".to_owned(),
        Value::Number => "<I32 N=\"Enabled\">1</I32>".to_owned(),
    };
    out.push(
        "<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">",
    );
    for (i, r) in rows.iter().enumerate() {
        out.push(format!("  <Obj RefId=\"{i}\">"));
        if i == 0 {
            out.push("    <TN RefId=\"0\">");
            if select {
                out.push(format!("      <T>Selected.{MODEL}</T>"));
                out.push("      <T>System.Management.Automation.PSCustomObject</T>");
            } else {
                out.push(format!("      <T>{MODEL}</T>"));
                out.push("      <T>Microsoft.Azure.Commands.Security.Models.Settings.PSSecuritySetting</T>");
            }
            out.push("      <T>System.Object</T>");
            out.push("    </TN>");
        } else {
            out.push("    <TNRef RefId=\"0\" />");
        }
        if select {
            out.push(format!(
                "    <ToString>@{{Name={}; Enabled={}}}</ToString>",
                xml(&r.name_text),
                r.value.word()
            ));
            out.push("    <MS>");
            out.push(format!("      <S N=\"Name\">{}</S>", xml(&r.name_text)));
            locs.push(Lines::loc(out.push(format!("      {}", enabled(&r.value)))));
            if r.dup {
                let other = r.value.reading() != Some(true);
                out.push(format!("      <B N=\"enabled\">{other}</B>"));
            }
            out.push("    </MS>");
        } else {
            out.push(format!("    <ToString>{MODEL}</ToString>"));
            out.push("    <Props>");
            locs.push(Lines::loc(out.push(format!("      {}", enabled(&r.value)))));
            out.push(format!(
                "      <S N=\"Id\">{}</S>",
                xml(&id(case, r).unwrap_or_default())
            ));
            out.push(format!("      <S N=\"Name\">{}</S>", xml(&r.name_text)));
            out.push(format!("      <S N=\"Type\">{TYPE}</S>"));
            out.push("    </Props>");
        }
        out.push("  </Obj>");
    }
    out.push("</Objs>");
    locs
}

/// PowerShell 7.2+ console colours around table headers.
const G: &str = "\u{1b}[32;1m";
const R: &str = "\u{1b}[0m";

/// A subscription's display name (never a GUID).
fn display_name(sub: usize) -> String {
    format!("Contoso {}", ["Prod", "Dev", "Test", "Sandbox"][sub % 4])
}

/// The command a transcript shows before a block.
fn command(case: &Case, block: &Block) -> String {
    let text = match &block.kind {
        Kind::PsTable2 { .. } if block.rows.len() == 1 => {
            "Get-AzSecuritySetting | Select-Object name,enabled | where-object {$_.name -eq 'WDATP'}"
        }
        Kind::PsTable2 { .. } => "Get-AzSecuritySetting | Select-Object name,enabled",
        Kind::PsList { .. } if block.rows.len() == 1 => {
            "Get-AzSecuritySetting -SettingName WDATP | Format-List"
        }
        Kind::PsList { .. } => "Get-AzSecuritySetting | Format-List",
        Kind::Context {
            sub,
            by_name,
            switch,
            tenant,
            ..
        } => {
            let mut target = if *by_name {
                format!("\"{}\"", display_name(*sub))
            } else {
                case.subs[*sub].written()
            };
            // A tenant GUID, before or after the subscription, is never the subscription.
            match tenant {
                Some(true) => {
                    return format!("Set-AzContext -Tenant {TENANT} -Subscription {target}");
                }
                Some(false) => {
                    target = format!("{target} -Tenant {TENANT}");
                }
                None => {}
            }
            return match (switch, by_name) {
                (Switch::SetAzContext, _) => format!("Set-AzContext -Subscription {target}"),
                (Switch::SelectAzSubscription, false) => {
                    format!("Select-AzSubscription -SubscriptionId {target}")
                }
                (Switch::SelectAzSubscription, true) => {
                    format!("Select-AzSubscription -SubscriptionName {target}")
                }
                (Switch::AzAccountSet, _) => format!("az account set --subscription {target}"),
                (Switch::ConnectAzAccount, _) => {
                    format!("Connect-AzAccount -Subscription {target}")
                }
            };
        }
        _ => "Get-AzSecuritySetting",
    };
    text.to_owned()
}

fn render_text(case: &Case, file: &File) -> (String, Vec<Vec<String>>, Vec<Option<String>>) {
    let mut out = Lines::default();
    let mut row_locs = Vec::new();
    let mut block_locs = Vec::new();
    let transcript = file.container == Container::Transcript;
    let user = if file.encoding == Encoding::Windows1252 {
        "Jos\u{e9}"
    } else {
        "auditor"
    };
    if transcript {
        out.push("**********************");
        out.push("Windows PowerShell transcript start");
        out.push("Start time: 20241105093012");
        out.push(format!("Username: CONTOSO\\{user}"));
        out.push(format!("RunAs User: CONTOSO\\{user}"));
        out.push("Configuration Name: ");
        out.push("Machine: AUDIT-WS01 (Microsoft Windows NT 10.0.19045.0)");
        out.push(
            "Host Application: C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        );
        out.push("Process ID: 7412");
        out.push("PSVersion: 5.1.19041.5007");
        out.push("PSEdition: Desktop");
        out.push("**********************");
        out.push(format!(
            "Transcript started, output file is C:\\Users\\{user}\\Documents\\PowerShell_transcript.AUDIT-WS01.k3Jv9Qx2.20241105093012.txt"
        ));
    }
    if file.echo {
        // Reported: error text after the command's prompt line is read as unknown text.
        out.push(match file.blocks.first().map(|b| &b.kind) {
            Some(Kind::PsErrorText { .. }) => "PS C:\\audit> Get-AzSecuritySetting",
            Some(Kind::AzErrorText { wrapped: true, .. }) => {
                "PS C:\\audit> az security setting list -o json 2> C:\\audit\\az-settings-err.txt"
            }
            _ => "$ az security setting list -o json",
        });
    }
    // Several YAML documents: `---` before each, pointers prefixed with its index.
    let documents = file.blocks.len() > 1
        && file
            .blocks
            .iter()
            .all(|b| matches!(b.kind, Kind::AzYaml { .. }));
    for (b, block) in file.blocks.iter().enumerate() {
        if transcript {
            out.push(format!("PS C:\\audit> {}", command(case, block)));
        }
        if documents {
            out.push("---");
        }
        let (mut locs, own) = text_block(case, block, &mut out);
        if documents {
            locs = locs.into_iter().map(|l| format!("/{b}{l}")).collect();
        }
        row_locs.push(locs);
        block_locs.push(own);
    }
    if transcript {
        out.push("PS C:\\audit> Stop-Transcript");
        out.push("**********************");
        out.push("Windows PowerShell transcript end");
        out.push("End time: 20241105093047");
        out.push("**********************");
    }
    let mut text = out.0.join("\n");
    if !out.0.is_empty() && file.final_newline {
        text.push('\n');
    }
    (text, row_locs, block_locs)
}

/// Encodes text as the file's encoding writes it.
pub fn encode(text: &str, encoding: Encoding) -> Vec<u8> {
    let utf16 = |big: bool, bom: bool| {
        let mut out = Vec::new();
        let units = (if bom { "\u{feff}" } else { "" })
            .encode_utf16()
            .chain(text.encode_utf16());
        for unit in units {
            if big {
                out.extend_from_slice(&unit.to_be_bytes());
            } else {
                out.extend_from_slice(&unit.to_le_bytes());
            }
        }
        out
    };
    match encoding {
        Encoding::Utf8 => text.as_bytes().to_vec(),
        Encoding::Utf8Bom => [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat(),
        Encoding::Utf16LeBom => utf16(false, true),
        Encoding::Utf16BeBom => utf16(true, true),
        Encoding::Utf16LeNoBom => utf16(false, false),
        Encoding::Windows1252 => text
            .chars()
            .map(|c| match c {
                '\u{2026}' => 0x85,
                c => u8::try_from(u32::from(c)).unwrap(),
            })
            .collect(),
    }
}

/// Renders one file of a case.
pub fn render(case: &Case, file: &File) -> Rendered {
    let (text, row_locs, block_locs) = match file.container {
        Container::Json => render_json(case, file),
        Container::Text | Container::Transcript => render_text(case, file),
        Container::Http => render_http(case, file),
        Container::Har => render_har(case, file),
        Container::Mixed { compact } => render_mixed(case, file, compact),
    };
    let text = if file.crlf {
        text.replace('\n', "\r\n")
    } else {
        text
    };
    let bytes = encode(&text, file.encoding);
    Rendered {
        text,
        bytes,
        row_locs,
        block_locs,
    }
}
