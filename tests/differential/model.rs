//! Ground truth of the differential test: a seeded PRNG, the subscriptions of a case with
//! their settings, and the evidence files generated from them (path, container, blocks of
//! rows, encoding). Nothing here knows how the tool reads files; the renderer writes these
//! files and the oracle derives the expected report from them.

use std::fmt::Write as _;

#[path = "mix.rs"]
pub mod mix;

/// splitmix64: small, fast, and the seed alone determines every draw.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// The generator of case `index` of the run seeded `seed`: each case can be regenerated
    /// alone.
    pub fn for_case(seed: u64, index: usize) -> Self {
        let mut rng = Self(seed ^ (index as u64).wrapping_mul(0xA076_1D64_78BD_642F));
        rng.next_u64();
        rng
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next_u64() % n as u64).unwrap()
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }

    /// A random version-4 GUID, lower case.
    pub fn guid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        let hex = format!("{a:016x}{b:016x}");
        format!(
            "{}-{}-4{}-{}{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[13..16],
            ["8", "9", "a", "b"][usize::try_from(b % 4).unwrap()],
            &hex[17..20],
            &hex[20..32]
        )
    }
}

/// The settings Defender for Cloud lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Name {
    Mcas,
    Wdatp,
    Sentinel,
    Unified,
    Linux,
    Vnext,
}

impl Name {
    pub const ALL: [Self; 6] = [
        Self::Mcas,
        Self::Wdatp,
        Self::Sentinel,
        Self::Unified,
        Self::Linux,
        Self::Vnext,
    ];

    pub fn text(self) -> &'static str {
        match self {
            Self::Mcas => "MCAS",
            Self::Wdatp => "WDATP",
            Self::Sentinel => "Sentinel",
            Self::Unified => "WDATP_UNIFIED_SOLUTION",
            Self::Linux => "WDATP_EXCLUDE_LINUX_PUBLIC_PREVIEW",
            Self::Vnext => "WDATP_VNEXT",
        }
    }

    pub fn kind(self) -> &'static str {
        if self == Self::Sentinel {
            "AlertSyncSettings"
        } else {
            "DataExportSettings"
        }
    }
}

/// One subscription of a case: its GUID (lower case), whether its ids are written in upper
/// case, and its true settings.
#[derive(Clone, Debug)]
pub struct Sub {
    pub guid: String,
    pub upper: bool,
    pub settings: Vec<(Name, bool)>,
}

impl Sub {
    /// The GUID as written in this subscription's content.
    pub fn written(&self) -> String {
        if self.upper {
            self.guid.to_ascii_uppercase()
        } else {
            self.guid.clone()
        }
    }
}

/// An `enabled` value as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Bool(bool),
    /// A JSON string or a word (`"True"`, `"yes"`).
    Text(String),
    Null,
    /// The number 1.
    Number,
    /// `"properties": {}` (REST shapes only).
    Missing,
}

impl Value {
    /// What the README says the value reads as: `Some(bool)` or `None` (malformed).
    pub fn reading(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            Self::Text(t) if t.trim().eq_ignore_ascii_case("true") => Some(true),
            Self::Text(t) if t.trim().eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    /// `True` / `False` as PowerShell and az print it in text (booleans only).
    pub fn word(&self) -> String {
        match self {
            Self::Bool(true) => "True".to_owned(),
            Self::Bool(false) => "False".to_owned(),
            Self::Text(t) => t.clone(),
            Self::Null => String::new(),
            Self::Number => "1".to_owned(),
            Self::Missing => "?".to_owned(),
        }
    }
}

/// How a row's id is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdMode {
    Full,
    /// `<subscription>`, `{subscriptionId}`, the all-zero GUID.
    Redacted(u8),
    /// Cut short by a console table (`...` or `…`).
    Cut,
    /// No id at all (`Select-Object Name,Enabled`, az table).
    None,
}

/// One setting as a file shows it.
#[derive(Clone, Debug)]
pub struct Row {
    /// The subscription whose settings these are (the truth; attribution is the oracle's).
    pub sub: usize,
    pub name: Name,
    /// The name as written (`WDATP`, `wdatp`, or a contradicting name).
    pub name_text: String,
    /// The setting the id names, when it differs from `name_text`.
    pub id_name: Option<String>,
    pub value: Value,
    pub id: IdMode,
    /// A second `enabled` field, column or property under a name in another case
    /// (`Enabled`/`enabled`), holding the opposite value (WDATP rows of `Mix::Duplicates`).
    pub dup: bool,
}

impl Row {
    /// The setting name the id ends with.
    pub fn id_setting(&self) -> &str {
        self.id_name.as_deref().unwrap_or(&self.name_text)
    }

    /// Whether the row has an id that names its subscription.
    pub fn has_full_id(&self) -> bool {
        self.id == IdMode::Full
    }
}

/// JSON layouts of REST bodies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestStyle {
    /// The wire body: compact, keys id,name,type,kind,properties.
    Wire,
    /// `jq .`: two-space indent.
    Jq,
    /// `az rest`: two-space indent, keys sorted.
    AzRest,
    /// Windows PowerShell 5.1 `Invoke-RestMethod | ConvertTo-Json` at its default depth 2:
    /// `"properties": "@{enabled=True}"` (REST lists only).
    Ps51Depth2,
}

/// Which PowerShell wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ps {
    V51,
    V7,
}

/// An error a collection recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// `AuthorizationFailed` over scope `/subscriptions/<sub>/...`.
    Denied(usize),
    /// `SubscriptionNotFound` naming `<sub>`.
    NotFound(usize),
    /// An error naming no subscription (expired token, Forbidden).
    Unscoped,
}

impl Failure {
    pub fn scope(self) -> Option<usize> {
        match self {
            Self::Denied(s) | Self::NotFound(s) => Some(s),
            Self::Unscoped => None,
        }
    }
}

/// A document that holds a REST response inside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wrapper {
    /// `curl -i`: status line, headers, blank line, compact body; `interim` when a
    /// `HTTP/1.1 100 Continue` response comes first.
    Http { interim: bool },
    /// `Invoke-AzRestMethod ... | ConvertTo-Json` (5.1): the body as the string `Content`.
    Invoke,
    /// A REST documentation / "Try it" example: `responses."200".body`.
    DocExample,
    /// A browser's HAR log of the portal: the call's response body as `content.text` of its
    /// entry, or (`batch`) the response for the request inside an ARM batch
    /// (`POST .../batch`), the batch's responses listed in reverse order when `reversed`
    /// (matched to their requests by `name`); `base64` when bodies were saved base64-encoded
    /// (`"encoding": "base64"`). Every block of a HAR file has the same flags.
    Har {
        batch: bool,
        reversed: bool,
        base64: bool,
        /// Every request of the batch has the same `name` (matched by position).
        shared_name: bool,
    },
}

/// How a context switch is typed in a transcript.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Switch {
    SetAzContext,
    SelectAzSubscription,
    /// `az account set --subscription ...` (prints nothing).
    AzAccountSet,
    /// `Connect-AzAccount -Subscription ...` (by GUID only).
    ConnectAzAccount,
}

/// The columns of `query-tsv` rows before the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TsvColumns {
    Name,
    IdName,
    Id,
}

/// The shape of one document or command output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    RestList {
        style: RestStyle,
        next_link: bool,
    },
    RestSetting {
        style: RestStyle,
    },
    /// `(Invoke-RestMethod ...).value | ConvertTo-Json`.
    RestArray {
        ps: Ps,
    },
    /// `jq '.value[]'` (pretty, or `-c`).
    JqStream {
        compact: bool,
    },
    AzArray,
    AzShow,
    PsJsonArray {
        ps: Ps,
        with_id: bool,
    },
    PsJsonSingle {
        ps: Ps,
        with_id: bool,
    },
    ArmError {
        failure: Failure,
        compact: bool,
    },
    /// `az account show` appended beside the evidence: not evidence.
    AccountShow {
        sub: usize,
    },
    AzTable,
    AzTsv,
    /// Tab-separated query rows without a header (`query-tsv`): jq `@tsv` of
    /// `[.name, .properties.enabled]` (`Name`), of `[.id, .name, .properties.enabled]`
    /// (`IdName`), or an az loop's `--query "[id, enabled]" -o tsv` (`Id`: the
    /// name only in the id, values `True`/`False`).
    QueryTsv {
        columns: TsvColumns,
    },
    /// `az ... -o yaml`: a sequence of az objects, or one mapping (`show`); `ansi` for
    /// `-o yamlc` (keys and values coloured).
    AzYaml {
        show: bool,
        ansi: bool,
    },
    /// `az security setting list --query "[?name=='WDATP'].enabled"`: `[true]` or `[false]`.
    AzQuery {
        text: String,
    },
    /// `Get-AzSecuritySetting | Export-Clixml` (`select`: after `Select-Object Name,Enabled`,
    /// the properties in `<MS>`), UTF-16LE with a BOM from 5.1, UTF-8 with a BOM from 7.
    Clixml {
        ps: Ps,
        select: bool,
    },
    /// An `Export-Csv` file opened in Excel and saved as "Unicode Text": tab-separated,
    /// UTF-16LE with a BOM, CRLF, `TRUE`/`FALSE`; the columns `Export-Csv` wrote (`Enabled
    /// Id Name Type`, or `Name Enabled` after `Select-Object`), the `#TYPE` line kept as a
    /// row when `type_line`.
    ExcelText {
        with_id: bool,
        type_line: bool,
    },
    Csv {
        type_line: bool,
        semicolon: bool,
        with_id: bool,
        broken: Option<usize>,
    },
    /// The CIS command's `Name Enabled` table; `ansi` when copied from a PowerShell 7.2+
    /// console with its colour codes.
    PsTable2 {
        ansi: bool,
    },
    PsTable4 {
        ps: Ps,
        ansi: bool,
    },
    PsList {
        select: bool,
    },
    AzErrorText {
        failure: Failure,
        wrapped: bool,
    },
    PsErrorText {
        failure: Failure,
    },
    /// PowerShell 7's concise error view: `Get-AzSecuritySetting: ` / `Line |` / ... /
    /// `     | <message>`.
    PsErrorConcise {
        failure: Failure,
    },
    /// A console table (`csv: false`) or an `Export-Csv` file (`csv: true`) with `Name`,
    /// `Enabled` and a column of subscription ids named `column` (`Subscription`,
    /// `SubscriptionId`): each row's own subscription (rows are `IdMode::Full`).
    SubTable {
        column: &'static str,
        csv: bool,
    },
    /// A `Format-Table -AutoSize` table on a narrow console: `Enabled Id`, the `Name` and
    /// `Type` columns removed; the name comes from the whole id.
    AutoSizeTable,
    Scalar {
        text: String,
    },
    Empty,
    /// A REST response inside an HTTP capture, `Invoke-AzRestMethod` output or a
    /// documentation example; `inner` is a `RestList`, `RestSetting` or `ArmError`.
    Wrapped {
        wrapper: Wrapper,
        inner: Box<Kind>,
    },
    /// `{"value":[]}`: an empty list, which shows nothing is a settings list.
    EmptyList,
    /// A context switch in a transcript to subscription `sub`: by its GUID, or by its name
    /// (`by_name`); `table` is the context table `Set-AzContext` prints, its `Name` cell
    /// whole (`Some(true)`) or cut short (`Some(false)`); `tenant` a `-Tenant <GUID>`
    /// argument after (`Some(false)`) or before (`Some(true)`) the subscription.
    Context {
        sub: usize,
        by_name: bool,
        switch: Switch,
        table: Option<bool>,
        tenant: Option<bool>,
    },
}

impl Kind {
    /// The error this block records, if it is an error record.
    pub fn failure(&self) -> Option<Failure> {
        match self {
            Self::ArmError { failure, .. }
            | Self::AzErrorText { failure, .. }
            | Self::PsErrorText { failure }
            | Self::PsErrorConcise { failure } => Some(*failure),
            Self::Wrapped { inner, .. } => inner.failure(),
            _ => None,
        }
    }

    /// A short name for reports and file names.
    pub fn label(&self) -> &'static str {
        match self {
            Self::RestList {
                next_link: true, ..
            } => "rest-page",
            Self::RestList { .. } => "rest-list",
            Self::RestSetting { .. } => "rest-setting",
            Self::RestArray { .. } => "rest-array",
            Self::JqStream { .. } => "jq-stream",
            Self::AzArray => "az-array",
            Self::AzShow => "az-show",
            Self::PsJsonArray { .. } => "ps-json-array",
            Self::PsJsonSingle { .. } => "ps-json-single",
            Self::ArmError { .. } => "arm-error",
            Self::AccountShow { .. } => "az-account-show",
            Self::AzTable => "az-table",
            Self::AzTsv => "az-tsv",
            Self::QueryTsv {
                columns: TsvColumns::Name,
            } => "query-tsv-name",
            Self::QueryTsv {
                columns: TsvColumns::IdName,
            } => "query-tsv-id-name",
            Self::QueryTsv {
                columns: TsvColumns::Id,
            } => "query-tsv-id",
            Self::AzYaml { show: true, .. } => "az-yaml-show",
            Self::AzYaml { .. } => "az-yaml",
            Self::AzQuery { .. } => "az-query",
            Self::Clixml { select: true, .. } => "clixml-select",
            Self::Clixml { .. } => "clixml",
            Self::ExcelText { .. } => "excel-text",
            Self::Csv {
                broken: Some(_), ..
            } => "csv-broken",
            Self::Csv { .. } => "csv",
            Self::PsTable2 { ansi: true } => "ps-table2-ansi",
            Self::PsTable2 { .. } => "ps-table2",
            Self::PsTable4 { ansi: true, .. } => "ps-table4-ansi",
            Self::PsTable4 { .. } => "ps-table4",
            Self::PsList { .. } => "ps-list",
            Self::AzErrorText { .. } => "az-error",
            Self::PsErrorText { .. } => "ps-error",
            Self::PsErrorConcise { .. } => "ps-error-concise",
            Self::SubTable { csv: false, .. } => "sub-table",
            Self::SubTable { csv: true, .. } => "sub-csv",
            Self::AutoSizeTable => "ps-table-autosize",
            Self::Scalar { .. } => "cis-scalar",
            Self::Empty => "empty",
            Self::Wrapped {
                wrapper: Wrapper::Http { .. },
                ..
            } => "http-capture",
            Self::Wrapped {
                wrapper: Wrapper::Invoke,
                ..
            } => "invoke-azrestmethod",
            Self::Wrapped {
                wrapper: Wrapper::DocExample,
                ..
            } => "rest-doc-example",
            Self::Wrapped {
                wrapper: Wrapper::Har { batch: true, .. },
                ..
            } => "har-batch",
            Self::Wrapped {
                wrapper: Wrapper::Har { .. },
                ..
            } => "har",
            Self::EmptyList => "empty-list",
            Self::Context { by_name: true, .. } => "switch-by-name",
            Self::Context { .. } => "switch",
        }
    }
}

/// One document or command output of a file.
#[derive(Clone, Debug)]
pub struct Block {
    pub kind: Kind,
    pub rows: Vec<Row>,
}

/// How a file's blocks are put together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    /// One JSON document, or several appended.
    Json,
    /// One text output.
    Text,
    /// A `Start-Transcript` file: each block is the output of one command.
    Transcript,
    /// A `curl -i` capture: its one block is `Kind::Wrapped` with `Wrapper::Http`.
    Http,
    /// A browser's HAR log: each block is `Kind::Wrapped` with `Wrapper::Har`, one settings
    /// call (or one request of the batch).
    Har,
    /// An az loop's output with `2>&1`: JSON documents (written compact or pretty) and
    /// error text one after another, never two JSON documents side by side.
    Mixed { compact: bool },
}

/// Text encodings the README claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Utf16LeBom,
    Utf16BeBom,
    Utf16LeNoBom,
    Windows1252,
}

/// One evidence file.
#[derive(Clone, Debug)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "each is an independent choice of the generator"
)]
pub struct File {
    /// The subscription whose GUID names the folder, if any.
    pub folder: Option<usize>,
    /// The subscription whose GUID ends the file name, if any.
    pub in_name: Option<usize>,
    pub stem: String,
    pub ext: &'static str,
    pub container: Container,
    pub blocks: Vec<Block>,
    pub encoding: Encoding,
    pub crlf: bool,
    pub final_newline: bool,
    /// Error text copied from a console with the command typed at its prompt on the line
    /// before.
    pub echo: bool,
    /// JSON with comments (`jsonc`): `//` and `/* */` comments around the values, and a
    /// string holding `//` and `/*` (JSON containers only).
    pub comments: bool,
}

impl File {
    /// The path below the case folder.
    pub fn rel_path(&self, subs: &[Sub]) -> String {
        let mut path = String::new();
        match self.folder {
            Some(s) => {
                let _ = write!(path, "{}/", subs[s].guid);
            }
            None => path.push_str("misc/"),
        }
        path.push_str(&self.stem);
        if let Some(s) = self.in_name {
            let _ = write!(path, "_{}", subs[s].guid);
        }
        path.push('.');
        path.push_str(self.ext);
        path
    }

    /// The subscription the path names: the file name first, then the folder.
    pub fn path_sub(&self) -> Option<usize> {
        self.in_name.or(self.folder)
    }
}

/// One generated case: its subscriptions and files.
#[derive(Clone, Debug)]
pub struct Case {
    pub subs: Vec<Sub>,
    pub files: Vec<File>,
}

/// Generates case `index` of the run seeded `seed`.
pub fn case(seed: u64, index: usize) -> Case {
    let mut rng = Rng::for_case(seed, index);
    let subs: Vec<Sub> = (0..=rng.below(3)).map(|_| sub(&mut rng)).collect();
    let mut g = Gen {
        rng,
        subs,
        files: Vec::new(),
    };
    for _ in 0..=g.rng.below(4) {
        let file = g.file();
        g.files.push(file);
    }
    // The compositions of `mix`, from a generator of their own: the files above are the
    // same whichever are enabled.
    let kinds = mix::enabled();
    if !kinds.is_empty() {
        let base = std::mem::replace(&mut g.rng, Rng::for_case(seed ^ mix::SALT, index));
        if g.rng.chance(60) {
            let kind = g.rng.pick(&kinds);
            let file = g.mix(kind);
            g.files.push(file);
        }
        g.rng = base;
    }
    Case {
        subs: g.subs,
        files: g.files,
    }
}

fn sub(rng: &mut Rng) -> Sub {
    let mut names: Vec<Name> = Name::ALL
        .iter()
        .copied()
        .filter(|n| match n {
            Name::Wdatp => rng.chance(75),
            Name::Mcas | Name::Sentinel => rng.chance(85),
            _ => rng.chance(50),
        })
        .collect();
    if names.is_empty() {
        names.push(Name::Mcas);
    }
    rng.shuffle(&mut names);
    Sub {
        guid: rng.guid(),
        upper: rng.chance(15),
        settings: names.into_iter().map(|n| (n, rng.chance(55))).collect(),
    }
}

/// What a listing shows of a subscription's settings.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Extent {
    All,
    /// One setting: WDATP when the subscription has it, else another.
    One,
    /// A part (a page).
    Part,
}

/// Per-file choices that make files agree, disagree or break.
#[derive(Clone, Copy)]
struct Twist {
    /// Flip WDATP's value: this file disagrees with the truth.
    flip: bool,
    /// Write WDATP's value in another form (JSON only): 0 none, 1 text, 2 null, 3 number,
    /// 4 missing, 5 unknown word.
    value: u8,
    /// Rename a row so that its name contradicts its id.
    contradict: bool,
    /// 0 full ids, 1 all redacted, 2 one row redacted.
    redact: u8,
    /// Write WDATP's name in lower or mixed case.
    name_case: u8,
}

struct Gen {
    rng: Rng,
    subs: Vec<Sub>,
    files: Vec<File>,
}

impl Gen {
    fn twist(&mut self, json: bool, rest: bool, ids: bool) -> Twist {
        let r = &mut self.rng;
        Twist {
            flip: r.chance(15),
            value: if json && r.chance(15) {
                let choices: &[u8] = if rest {
                    &[1, 1, 2, 3, 4, 5]
                } else {
                    &[1, 1, 2, 3, 5]
                };
                r.pick(choices)
            } else {
                0
            },
            contradict: ids && r.chance(5),
            redact: if ids && r.chance(20) {
                1 + u8::from(r.chance(50))
            } else {
                0
            },
            name_case: if r.chance(10) {
                1 + u8::from(r.chance(50))
            } else {
                0
            },
        }
    }

    /// The rows a listing of subscription `s` shows.
    fn rows(&mut self, s: usize, extent: Extent, twist: Twist, id: IdMode) -> Vec<Row> {
        let mut settings = self.subs[s].settings.clone();
        if self.rng.chance(30) {
            self.rng.shuffle(&mut settings);
        }
        let chosen: Vec<(Name, bool)> = match extent {
            Extent::All => settings,
            Extent::One => {
                let wdatp: Vec<_> = settings.iter().filter(|(n, _)| *n == Name::Wdatp).collect();
                if let Some(w) = wdatp.first().filter(|_| self.rng.chance(70)) {
                    vec![**w]
                } else {
                    vec![settings[self.rng.below(settings.len())]]
                }
            }
            Extent::Part => {
                let n = 1 + self.rng.below(settings.len());
                settings.into_iter().take(n).collect()
            }
        };
        let mut rows: Vec<Row> = chosen
            .into_iter()
            .map(|(name, value)| {
                let wdatp = name == Name::Wdatp;
                let value = if wdatp { value ^ twist.flip } else { value };
                let value = match (wdatp, twist.value) {
                    (true, 1) => Value::Text(
                        self.rng
                            .pick(&[["True", "False"], ["TRUE", "FALSE"], ["true", "false"]])
                            [usize::from(!value)]
                        .to_owned(),
                    ),
                    (true, 2) => Value::Null,
                    (true, 3) => Value::Number,
                    (true, 4) => Value::Missing,
                    (true, 5) => Value::Text("yes".to_owned()),
                    _ => Value::Bool(value),
                };
                let name_text = match (wdatp, twist.name_case) {
                    (true, 1) => "wdatp".to_owned(),
                    (true, 2) => "Wdatp".to_owned(),
                    _ => name.text().to_owned(),
                };
                Row {
                    sub: s,
                    name,
                    name_text,
                    id_name: None,
                    value,
                    id,
                    dup: false,
                }
            })
            .collect();
        if twist.contradict && !rows.is_empty() {
            let i = self.rng.below(rows.len());
            let row = &mut rows[i];
            if row.name == Name::Wdatp {
                row.id_name = Some("MCAS".to_owned());
            } else {
                row.id_name = Some(row.name_text.clone());
                "WDATP".clone_into(&mut row.name_text);
            }
        }
        // Only rows that show an id can have it redacted.
        let redact = if id == IdMode::Full { twist.redact } else { 0 };
        match redact {
            1 => rows
                .iter_mut()
                .for_each(|r| r.id = IdMode::Redacted(u8::try_from(s % 3).unwrap())),
            2 => {
                let i = self.rng.below(rows.len());
                rows[i].id = IdMode::Redacted(self.rng.pick(&[0, 1, 2]));
            }
            _ => {}
        }
        rows
    }

    fn any_sub(&mut self) -> usize {
        self.rng.below(self.subs.len())
    }

    fn failure(&mut self, s: usize) -> Failure {
        match self.rng.below(6) {
            0 => Failure::NotFound(s),
            1 => Failure::Unscoped,
            _ => Failure::Denied(s),
        }
    }

    fn encoding(&mut self) -> Encoding {
        match self.rng.below(10) {
            0 => Encoding::Utf8Bom,
            1 => Encoding::Utf16LeBom,
            2 => Encoding::Utf16BeBom,
            3 => Encoding::Utf16LeNoBom,
            _ => Encoding::Utf8,
        }
    }

    /// A JSON document of one of the JSON shapes; `alone` when it is the whole file.
    fn json_block(&mut self, alone: bool) -> Block {
        let s = self.any_sub();
        let choice = self.rng.below(if alone { 15 } else { 12 });
        let (kind, rows) = match choice {
            0 | 1 => {
                let next_link = self.rng.chance(15);
                let style = self.rng.pick(&[
                    RestStyle::Wire,
                    RestStyle::Jq,
                    RestStyle::AzRest,
                    RestStyle::Ps51Depth2,
                ]);
                let t = self.twist(true, true, true);
                let extent = if next_link { Extent::Part } else { Extent::All };
                (
                    Kind::RestList { style, next_link },
                    self.rows(s, extent, t, IdMode::Full),
                )
            }
            2 => {
                let t = self.twist(true, true, true);
                let ps = self.rng.pick(&[Ps::V51, Ps::V7]);
                (
                    Kind::RestArray { ps },
                    self.rows(s, Extent::All, t, IdMode::Full),
                )
            }
            3 => {
                let t = self.twist(true, true, true);
                let compact = self.rng.chance(30);
                let extent = if self.rng.chance(80) {
                    Extent::All
                } else {
                    Extent::Part
                };
                (
                    Kind::JqStream { compact },
                    self.rows(s, extent, t, IdMode::Full),
                )
            }
            4 => {
                let t = self.twist(true, false, true);
                let mut rows = Vec::new();
                let mut order: Vec<usize> = (0..self.subs.len()).collect();
                self.rng.shuffle(&mut order);
                for o in order.into_iter().take(1 + self.rng.below(self.subs.len())) {
                    rows.extend(self.rows(o, Extent::All, t, IdMode::Full));
                }
                (Kind::AzArray, rows)
            }
            5 => {
                let t = self.twist(true, false, true);
                (Kind::AzShow, self.rows(s, Extent::One, t, IdMode::Full))
            }
            6 => {
                let t = self.twist(true, false, true);
                let ps = self.rng.pick(&[Ps::V51, Ps::V7]);
                let with_id = self.rng.chance(60);
                let id = if with_id { IdMode::Full } else { IdMode::None };
                (
                    Kind::PsJsonArray { ps, with_id },
                    self.rows(s, Extent::All, t, id),
                )
            }
            7 => {
                let t = self.twist(true, false, true);
                let ps = self.rng.pick(&[Ps::V51, Ps::V7]);
                let with_id = self.rng.chance(70);
                let id = if with_id { IdMode::Full } else { IdMode::None };
                (
                    Kind::PsJsonSingle { ps, with_id },
                    self.rows(s, Extent::One, t, id),
                )
            }
            8 => {
                let failure = self.failure(s);
                let compact = self.rng.chance(50);
                (Kind::ArmError { failure, compact }, Vec::new())
            }
            9 => (Kind::AccountShow { sub: s }, Vec::new()),
            10 => self.wrapped(Wrapper::Invoke, s),
            11 => (Kind::EmptyList, Vec::new()),
            12 => self.wrapped(Wrapper::DocExample, s),
            14 => self.az_query(s),
            _ => {
                let t = self.twist(true, true, true);
                let style = self
                    .rng
                    .pick(&[RestStyle::Wire, RestStyle::Jq, RestStyle::AzRest]);
                (
                    Kind::RestSetting { style },
                    self.rows(s, Extent::One, t, IdMode::Full),
                )
            }
        };
        Block { kind, rows }
    }

    /// `az security setting list --query "[?name=='WDATP'].enabled"` of subscription `s`:
    /// `[true]`/`[false]`, or `[]` when it has no WDATP.
    fn az_query(&mut self, s: usize) -> (Kind, Vec<Row>) {
        let wdatp = self.subs[s]
            .settings
            .iter()
            .find(|(n, _)| *n == Name::Wdatp)
            .map(|(_, v)| *v);
        match wdatp {
            Some(v) => {
                let v = v ^ self.rng.chance(15);
                (
                    Kind::AzQuery {
                        text: v.to_string(),
                    },
                    Vec::new(),
                )
            }
            None => (Kind::EmptyList, Vec::new()),
        }
    }

    /// A REST response of subscription `s` inside `wrapper` (documentation examples show
    /// only successful responses).
    fn wrapped(&mut self, wrapper: Wrapper, s: usize) -> (Kind, Vec<Row>) {
        let (inner, rows) = self.rest_response(s, wrapper != Wrapper::DocExample);
        (
            Kind::Wrapped {
                wrapper,
                inner: Box::new(inner),
            },
            rows,
        )
    }

    /// A REST response of subscription `s`: a list, one setting, or (`error`) an ARM error.
    fn rest_response(&mut self, s: usize, error: bool) -> (Kind, Vec<Row>) {
        let t = self.twist(true, true, true);
        match self.rng.below(if error { 10 } else { 8 }) {
            0..=4 => {
                let next_link = self.rng.chance(10);
                let extent = if next_link { Extent::Part } else { Extent::All };
                (
                    Kind::RestList {
                        style: RestStyle::Wire,
                        next_link,
                    },
                    self.rows(s, extent, t, IdMode::Full),
                )
            }
            5..=7 => (
                Kind::RestSetting {
                    style: RestStyle::Wire,
                },
                self.rows(s, Extent::One, t, IdMode::Full),
            ),
            _ => (
                Kind::ArmError {
                    failure: self.failure(s),
                    compact: true,
                },
                Vec::new(),
            ),
        }
    }

    /// A file: a shape, a path, an encoding.
    fn file(&mut self) -> File {
        let (container, blocks, ext) = match self.rng.below(24) {
            0..=7 => {
                let mut blocks = vec![self.json_block(true)];
                if self.rng.chance(25) {
                    for _ in 0..=self.rng.below(2) {
                        let block = self.json_block(false);
                        // Two runs of REST objects side by side read as one stream: keep
                        // them apart (see the report's note on appended REST objects).
                        let rest_run = |k: &Kind| {
                            matches!(k, Kind::JqStream { .. } | Kind::RestSetting { .. })
                        };
                        if blocks.last().is_some_and(|b: &Block| rest_run(&b.kind))
                            && rest_run(&block.kind)
                        {
                            continue;
                        }
                        blocks.push(block);
                    }
                }
                // A lone `az account show` is not evidence; keep it, it is a case too.
                (Container::Json, blocks, "json")
            }
            8..=13 => {
                let (block, ext) = self.text_block();
                let mut blocks = vec![block];
                // An az loop appending `-o yaml` outputs, `---` between them.
                if matches!(blocks[0].kind, Kind::AzYaml { .. }) && self.rng.chance(35) {
                    for _ in 0..=self.rng.below(2) {
                        let s = self.any_sub();
                        blocks.push(self.az_yaml(s));
                    }
                }
                (Container::Text, blocks, ext)
            }
            14..=17 => (Container::Transcript, self.transcript_blocks(), "txt"),
            18 | 19 => {
                let s = self.any_sub();
                let interim = self.rng.chance(25);
                let (kind, rows) = self.wrapped(Wrapper::Http { interim }, s);
                (Container::Http, vec![Block { kind, rows }], "txt")
            }
            22 | 23 => (Container::Har, self.har_blocks(), "har"),
            _ => (Container::Text, self.error_texts(), "txt"),
        };
        self.place(container, blocks, ext)
    }

    /// The settings calls of a HAR log: one to three, each of one subscription, sent
    /// alone or together in one ARM batch. The URL of each names its subscription, so an
    /// error names it too.
    fn har_blocks(&mut self) -> Vec<Block> {
        let wrapper = Wrapper::Har {
            batch: self.rng.chance(50),
            reversed: self.rng.chance(30),
            base64: self.rng.chance(25),
            shared_name: false,
        };
        (0..=self.rng.below(3))
            .map(|_| {
                let s = self.any_sub();
                let (mut kind, rows) = self.wrapped(wrapper, s);
                if let Kind::Wrapped { inner, .. } = &mut kind
                    && let Kind::ArmError { failure, .. } = inner.as_mut()
                    && *failure == Failure::Unscoped
                {
                    *failure = Failure::Denied(s);
                }
                Block { kind, rows }
            })
            .collect()
    }

    /// Error text: one record, or several (a loop over subscriptions), each with its scope.
    fn error_texts(&mut self) -> Vec<Block> {
        let first = self.any_sub();
        let mut blocks = vec![self.error_text(first)];
        if self.rng.chance(40) {
            for _ in 0..=self.rng.below(3) {
                let s = self.any_sub();
                let mut block = self.error_text(s);
                // A loop prints the same kind of record for every subscription.
                if self.rng.chance(80) {
                    block.kind = match (&blocks[0].kind, block.kind) {
                        (Kind::AzErrorText { wrapped, .. }, Kind::PsErrorText { failure }) => {
                            Kind::AzErrorText {
                                failure: if failure == Failure::Unscoped {
                                    Failure::Denied(s)
                                } else {
                                    failure
                                },
                                wrapped: *wrapped,
                            }
                        }
                        (Kind::PsErrorText { .. }, Kind::AzErrorText { failure, .. }) => {
                            Kind::PsErrorText { failure }
                        }
                        (Kind::AzErrorText { wrapped, .. }, Kind::AzErrorText { failure, .. }) => {
                            Kind::AzErrorText {
                                failure,
                                wrapped: *wrapped,
                            }
                        }
                        (_, kind) => kind,
                    };
                }
                blocks.push(block);
            }
        }
        blocks
    }

    fn error_text(&mut self, s: usize) -> Block {
        let failure = self.failure(s);
        let failure = if failure == Failure::Unscoped && self.rng.chance(50) {
            Failure::Denied(s)
        } else {
            failure
        };
        let kind = if self.rng.chance(50) {
            Kind::AzErrorText {
                failure: if failure == Failure::Unscoped {
                    Failure::Denied(s)
                } else {
                    failure
                },
                wrapped: self.rng.chance(40),
            }
        } else {
            Kind::PsErrorText { failure }
        };
        Block {
            kind,
            rows: Vec::new(),
        }
    }

    #[allow(
        clippy::too_many_lines,
        reason = "one arm per shape reads best in one place"
    )]
    fn text_block(&mut self) -> (Block, &'static str) {
        let s = self.any_sub();
        let t = self.twist(false, false, true);
        let no_ids = Twist {
            redact: 0,
            contradict: false,
            ..t
        };
        let one_or_all = if self.rng.chance(25) {
            Extent::One
        } else {
            Extent::All
        };
        match self.rng.below(13) {
            0 => (
                Block {
                    kind: Kind::AzTable,
                    rows: self.rows(s, Extent::All, no_ids, IdMode::None),
                },
                "txt",
            ),
            1 => {
                let mut rows = Vec::new();
                for o in 0..self.subs.len() {
                    if o == s || self.rng.chance(50) {
                        rows.extend(self.rows(o, Extent::All, t, IdMode::Full));
                    }
                }
                (
                    Block {
                        kind: Kind::AzTsv,
                        rows,
                    },
                    "tsv",
                )
            }
            2 | 3 => {
                let with_id = self.rng.chance(50);
                let (twist, id) = if with_id {
                    (t, IdMode::Full)
                } else {
                    (no_ids, IdMode::None)
                };
                let rows = self.rows(s, Extent::All, twist, id);
                let broken = (!with_id && self.rng.chance(25)).then(|| self.rng.below(rows.len()));
                let kind = Kind::Csv {
                    type_line: self.rng.chance(60),
                    semicolon: self.rng.chance(25),
                    with_id,
                    broken,
                };
                (Block { kind, rows }, "csv")
            }
            4 => (
                Block {
                    kind: Kind::PsTable2 {
                        ansi: self.rng.chance(30),
                    },
                    rows: self.rows(s, one_or_all, no_ids, IdMode::None),
                },
                "txt",
            ),
            5 => {
                let ps = self.rng.pick(&[Ps::V51, Ps::V7]);
                // PowerShell 7.2+ colours the header of a console table.
                let ansi = ps == Ps::V7 && self.rng.chance(30);
                let mut rows = self.rows(s, one_or_all, no_ids, IdMode::Cut);
                if self.rng.chance(20) {
                    // A wide console: the ids are whole.
                    for r in &mut rows {
                        r.id = IdMode::Full;
                    }
                }
                (
                    Block {
                        kind: Kind::PsTable4 { ps, ansi },
                        rows,
                    },
                    "txt",
                )
            }
            6 => {
                let select = self.rng.chance(30);
                let (twist, id) = if select {
                    (no_ids, IdMode::None)
                } else {
                    (t, IdMode::Full)
                };
                (
                    Block {
                        kind: Kind::PsList { select },
                        rows: self.rows(s, one_or_all, twist, id),
                    },
                    "txt",
                )
            }
            9 => {
                let columns =
                    self.rng
                        .pick(&[TsvColumns::Name, TsvColumns::IdName, TsvColumns::Id]);
                let mut rows = match columns {
                    TsvColumns::Name => self.rows(s, Extent::All, no_ids, IdMode::None),
                    TsvColumns::IdName | TsvColumns::Id => {
                        // The name is only in the id: it cannot contradict it.
                        let t = if columns == TsvColumns::Id {
                            Twist {
                                contradict: false,
                                ..t
                            }
                        } else {
                            t
                        };
                        let mut rows = Vec::new();
                        for o in 0..self.subs.len() {
                            if o == s || self.rng.chance(50) {
                                rows.extend(self.rows(o, one_or_all, t, IdMode::Full));
                            }
                        }
                        rows
                    }
                };
                // jq prints a `null` value as an empty field.
                if columns != TsvColumns::Id && self.rng.chance(10) {
                    for r in rows.iter_mut().filter(|r| r.name == Name::Wdatp) {
                        r.value = Value::Null;
                    }
                }
                (
                    Block {
                        kind: Kind::QueryTsv { columns },
                        rows,
                    },
                    self.rng.pick(&["txt", "tsv"]),
                )
            }
            10 => (self.az_yaml(s), "yaml"),
            11 => {
                let ps = self.rng.pick(&[Ps::V51, Ps::V7]);
                let select = self.rng.chance(30);
                let (twist, id) = if select {
                    (no_ids, IdMode::None)
                } else {
                    (t, IdMode::Full)
                };
                (
                    Block {
                        kind: Kind::Clixml { ps, select },
                        rows: self.rows(s, one_or_all, twist, id),
                    },
                    "xml",
                )
            }
            12 => {
                let with_id = self.rng.chance(60);
                let (twist, id) = if with_id {
                    (t, IdMode::Full)
                } else {
                    (no_ids, IdMode::None)
                };
                (
                    Block {
                        kind: Kind::ExcelText {
                            with_id,
                            type_line: self.rng.chance(30),
                        },
                        rows: self.rows(s, Extent::All, twist, id),
                    },
                    "txt",
                )
            }
            _ => {
                let text = match self.subs[s]
                    .settings
                    .iter()
                    .find(|(n, _)| *n == Name::Wdatp)
                {
                    Some((_, v)) if self.rng.chance(85) => {
                        let v = *v ^ t.flip;
                        self.rng.pick(&[["true", "false"], ["True", "False"]])[usize::from(!v)]
                            .to_owned()
                    }
                    _ => "null".to_owned(),
                };
                (
                    Block {
                        kind: Kind::Scalar { text },
                        rows: Vec::new(),
                    },
                    "txt",
                )
            }
        }
    }

    /// `az security setting list -o yaml` (over one or several subscriptions) or `show` of
    /// subscription `s`.
    fn az_yaml(&mut self, s: usize) -> Block {
        let t = self.twist(true, false, true);
        let show = self.rng.chance(20);
        let rows = if show {
            self.rows(s, Extent::One, t, IdMode::Full)
        } else {
            let mut rows = Vec::new();
            let mut order: Vec<usize> = (0..self.subs.len()).collect();
            self.rng.shuffle(&mut order);
            for o in order.into_iter().take(1 + self.rng.below(self.subs.len())) {
                rows.extend(self.rows(o, Extent::All, t, IdMode::Full));
            }
            rows
        };
        Block {
            kind: Kind::AzYaml {
                show,
                ansi: self.rng.chance(25),
            },
            rows,
        }
    }

    /// A transcript: command outputs, context switches (by GUID or by name, with or without
    /// the context table), and failed attempts followed by a retry.
    fn transcript_blocks(&mut self) -> Vec<Block> {
        let mut blocks = Vec::new();
        // The subscription switched to, whose output usually follows.
        let mut current: Option<usize> = None;
        for _ in 0..=self.rng.below(4) {
            if self.rng.chance(25) {
                let sub = self.any_sub();
                let switch = self.rng.pick(&[
                    Switch::SetAzContext,
                    Switch::SetAzContext,
                    Switch::SelectAzSubscription,
                    Switch::AzAccountSet,
                ]);
                let table = (switch != Switch::AzAccountSet && self.rng.chance(75))
                    .then(|| self.rng.chance(40));
                let by_name = self.rng.chance(20);
                let tenant = (switch == Switch::SetAzContext && self.rng.chance(30))
                    .then(|| self.rng.chance(50));
                blocks.push(Block {
                    kind: Kind::Context {
                        sub,
                        by_name,
                        switch,
                        table,
                        tenant,
                    },
                    rows: Vec::new(),
                });
                current = Some(sub);
                continue;
            }
            let s = match current {
                Some(c) if self.rng.chance(85) => c,
                _ => self.any_sub(),
            };
            let t = self.twist(false, false, true);
            let no_ids = Twist {
                redact: 0,
                contradict: false,
                ..t
            };
            let extent = if self.rng.chance(50) {
                Extent::One
            } else {
                Extent::All
            };
            let block = match self.rng.below(5) {
                0 => Block {
                    kind: Kind::PsTable2 {
                        ansi: self.rng.chance(10),
                    },
                    rows: self.rows(s, extent, no_ids, IdMode::None),
                },
                1 => Block {
                    kind: Kind::PsTable4 {
                        ps: self.rng.pick(&[Ps::V51, Ps::V7]),
                        ansi: false,
                    },
                    rows: self.rows(s, extent, no_ids, IdMode::Cut),
                },
                2 => Block {
                    kind: Kind::PsList { select: false },
                    rows: self.rows(s, extent, t, IdMode::Full),
                },
                3 => Block {
                    kind: Kind::PsErrorText {
                        failure: self.failure(s),
                    },
                    rows: Vec::new(),
                },
                _ => {
                    // A failed attempt, then the retry that worked (without ids).
                    blocks.push(Block {
                        kind: Kind::PsErrorText {
                            failure: Failure::Denied(s),
                        },
                        rows: Vec::new(),
                    });
                    Block {
                        kind: Kind::PsTable2 { ansi: false },
                        rows: self.rows(s, extent, no_ids, IdMode::None),
                    }
                }
            };
            blocks.push(block);
        }
        blocks
    }

    fn place(&mut self, container: Container, blocks: Vec<Block>, ext: &'static str) -> File {
        // Usually filed under (or named after) the subscription the content came from,
        // sometimes under another one, sometimes nowhere.
        let truth = blocks
            .iter()
            .find_map(|b| {
                b.rows
                    .first()
                    .map(|r| r.sub)
                    .or(b.kind.failure().and_then(Failure::scope))
            })
            .unwrap_or(0);
        let mut folder = None;
        let mut in_name = None;
        let named = if self.rng.chance(20) {
            self.any_sub()
        } else {
            truth
        };
        match self.rng.below(10) {
            0..=3 => folder = Some(named),
            4..=6 => in_name = Some(named),
            7 => {
                folder = Some(self.any_sub());
                in_name = Some(named);
            }
            _ => {}
        }
        let text = matches!(
            container,
            Container::Text | Container::Transcript | Container::Http | Container::Mixed { .. }
        );
        let mut encoding = self.encoding();
        let single_empty = blocks.iter().all(|b| b.kind == Kind::Empty);
        let invoke = blocks.iter().any(|b| {
            matches!(
                b.kind,
                Kind::Wrapped {
                    wrapper: Wrapper::Invoke,
                    ..
                }
            )
        });
        let first = blocks.first().map(|b| &b.kind);
        if container == Container::Har {
            // Browsers save HAR logs as UTF-8.
            encoding = Encoding::Utf8;
        } else if let Some(Kind::Clixml { ps, .. }) = first {
            encoding = if *ps == Ps::V51 {
                Encoding::Utf16LeBom
            } else {
                Encoding::Utf8Bom
            };
        } else if let Some(Kind::ExcelText { .. }) = first {
            encoding = Encoding::Utf16LeBom;
        } else if single_empty || (container == Container::Http && self.rng.chance(60)) {
            encoding = Encoding::Utf8;
        } else if invoke && self.rng.chance(60) {
            // Windows PowerShell 5.1's `>` and `Out-File`.
            encoding = Encoding::Utf16LeBom;
        } else if container == Container::Transcript && self.rng.chance(20) {
            encoding = Encoding::Windows1252;
        }
        let comments = container == Container::Json && self.rng.chance(15);
        let excel = matches!(first, Some(Kind::ExcelText { .. }));
        let echo = self.rng.chance(30)
            && container == Container::Text
            && blocks.iter().all(|b| b.kind.failure().is_some());
        let labels: Vec<&str> = blocks.iter().map(|b| b.kind.label()).collect();
        File {
            folder,
            in_name,
            stem: format!("f{}-{}", self.files.len(), labels.join("+")),
            ext,
            container,
            blocks,
            encoding,
            // curl writes the status line and headers with CRLF, and so does Excel.
            crlf: container == Container::Http || excel || self.rng.chance(40),
            final_newline: if container == Container::Http {
                self.rng.chance(30)
            } else {
                text || self.rng.chance(80)
            },
            echo,
            comments,
        }
    }
}
