//! Compositions added after a generator written from the README's table (now docs/supported-evidence.md) found five classes
//! of bug the base generator (`model::Gen::file`) missed: files mixing shapes, retries,
//! subscription columns, HAR batches with repeated names, JSON with comments giving every
//! outcome, case-variant duplicates, and the documented shapes the base generator lacks.
//!
//! Each kind is switchable: `MDC_DIFF_MIX` names the kinds to add (comma-separated, see
//! [`Mix::NAME`]); unset means all of them, `none` none (the base cases alone, exactly as
//! before: the kinds draw from a generator of their own). A case gets at most one file of
//! one kind.

use super::{
    Block, Container, Extent, Failure, File, Gen, IdMode, Kind, Name, Ps, RestStyle, Row, Switch,
    Twist, Wrapper,
};

/// Mixed into the seed of the kinds' generator.
pub const SALT: u64 = 0x6d69_785f_6b69_6e64;

/// A composition kind, and what it covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mix {
    /// `json-then-error`: one JSON document (az array compact or pretty, az `--query`'s
    /// `[true]`, a REST list) and one error text (az `ERROR: ...` or PowerShell
    /// `Get-AzSecuritySetting : ...`), in either order: each read and attributed on its own,
    /// a JSON document after error text located `line N#<pointer>` (docs/supported-evidence.md "Errors beside
    /// evidence"). Found: a stack overflow on `[true]\nERROR: x`.
    JsonThenError,
    /// `az-loop`: an az loop's `2>&1` output over several subscriptions: error A, JSON A,
    /// error B, JSON B (each subscription's error and listing optional). Found: B's location
    /// must be `line N#/0/enabled`, N the line B's JSON starts on.
    AzLoop,
    /// `retry`: a failed attempt then the retry that worked, for one subscription: in a
    /// transcript (error record, `Connect-AzAccount -Subscription`, table), in a HAR log
    /// (403 then 200, alone or in a batch), in an az loop (error, then the listing). Decided
    /// by the retry; the failure is still listed: the subscription is flagged
    /// `collection_errors`. Enables the flag comparison.
    Retry,
    /// `sub-column`: a console table or CSV with a `Subscription` or `SubscriptionId` column,
    /// filed in another subscription's folder: each row is its column's subscription's
    /// (docs/decision-rules.md, rule 1).
    SubColumn,
    /// `har-shared-name`: an ARM batch in a HAR log whose requests all have the same `name`:
    /// matched by position, no response dropped.
    HarSharedName,
    /// `jsonc`: JSON with comments of any shape and outcome (absent, unrecognized,
    /// malformed too): every observation's `detail` says the comments were ignored. Enables
    /// the detail comparison.
    Jsonc,
    /// `duplicates`: WDATP's `enabled` twice under names differing in case (`enabled` and
    /// `Enabled` keys, repeated columns of a console table or CSV, repeated `Format-List` or
    /// CLIXML properties) with different values: malformed.
    Duplicates,
    /// `shapes`: shapes of docs/supported-evidence.md the base generator lacks: PowerShell 7's concise error view,
    /// a context switch by `Connect-AzAccount -Subscription`, the `-AutoSize` table whose
    /// `Name` column was removed (the name from the whole id).
    Shapes,
}

impl Mix {
    pub const ALL: [Self; 8] = [
        Self::JsonThenError,
        Self::AzLoop,
        Self::Retry,
        Self::SubColumn,
        Self::HarSharedName,
        Self::Jsonc,
        Self::Duplicates,
        Self::Shapes,
    ];

    pub const NAME: [&'static str; 8] = [
        "json-then-error",
        "az-loop",
        "retry",
        "sub-column",
        "har-shared-name",
        "jsonc",
        "duplicates",
        "shapes",
    ];

    pub fn name(self) -> &'static str {
        Self::NAME[Self::ALL.iter().position(|k| *k == self).unwrap()]
    }
}

/// The kinds `MDC_DIFF_MIX` enables (all when unset, none for `none`).
pub fn enabled() -> Vec<Mix> {
    let Ok(list) = std::env::var("MDC_DIFF_MIX") else {
        return Mix::ALL.to_vec();
    };
    list.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty() && *n != "none")
        .map(|n| {
            let i = Mix::NAME.iter().position(|k| *k == n).unwrap_or_else(|| {
                panic!(
                    "MDC_DIFF_MIX: no kind {n:?}; the kinds: none, {:?}",
                    Mix::NAME
                )
            });
            Mix::ALL[i]
        })
        .collect()
}

/// Whether `kind` is enabled in this run.
pub fn is_enabled(kind: Mix) -> bool {
    enabled().contains(&kind)
}

/// A twist that leaves values, names and ids as they are.
const PLAIN: Twist = Twist {
    flip: false,
    value: 0,
    contradict: false,
    redact: 0,
    name_case: 0,
};

fn is_json(kind: &Kind) -> bool {
    !matches!(
        kind,
        Kind::AzErrorText { .. } | Kind::PsErrorText { .. } | Kind::PsErrorConcise { .. }
    )
}

/// Whether a mixed file's blocks keep two JSON documents apart (one stream otherwise).
pub fn is_valid_mixed(blocks: &[Block]) -> bool {
    !blocks
        .windows(2)
        .any(|w| is_json(&w[0].kind) && is_json(&w[1].kind))
}

impl Gen {
    /// A file of composition `kind`.
    pub(super) fn mix(&mut self, kind: Mix) -> File {
        match kind {
            Mix::JsonThenError => {
                let s = self.any_sub();
                let json = self.loop_json(s);
                let other = self.any_sub();
                let error = self.loop_error(other);
                let blocks = if self.rng.chance(70) {
                    vec![json, error]
                } else {
                    vec![error, json]
                };
                self.mixed(blocks)
            }
            Mix::AzLoop => {
                let mut order: Vec<usize> = (0..self.subs.len()).collect();
                self.rng.shuffle(&mut order);
                let mut blocks: Vec<Block> = Vec::new();
                for s in order.into_iter().take(2 + self.rng.below(2)) {
                    let after_json = blocks.last().is_some_and(|b| is_json(&b.kind));
                    let listing = self.rng.chance(80);
                    if !listing || after_json || self.rng.chance(60) {
                        let error = self.loop_error(s);
                        blocks.push(error);
                    }
                    if listing {
                        let json = self.loop_json(s);
                        blocks.push(json);
                    }
                }
                self.mixed(blocks)
            }
            Mix::Retry => self.retry(),
            Mix::SubColumn => {
                let mut rows = Vec::new();
                let mut order: Vec<usize> = (0..self.subs.len()).collect();
                self.rng.shuffle(&mut order);
                for s in order.into_iter().take(1 + self.rng.below(2)) {
                    rows.extend(self.rows(s, Extent::All, PLAIN, IdMode::Full));
                }
                let csv = self.rng.chance(40);
                let column = self.rng.pick(&["Subscription", "SubscriptionId"]);
                let first = rows[0].sub;
                let mut file = self.place(
                    Container::Text,
                    vec![Block {
                        kind: Kind::SubTable { column, csv },
                        rows,
                    }],
                    if csv { "csv" } else { "txt" },
                );
                // Filed under another subscription's folder, when there is another.
                file.in_name = None;
                file.folder = Some((first + 1) % self.subs.len());
                file
            }
            Mix::HarSharedName => {
                let wrapper = Wrapper::Har {
                    batch: true,
                    reversed: false,
                    base64: self.rng.chance(25),
                    shared_name: true,
                };
                let blocks = (0..2 + self.rng.below(2))
                    .map(|_| {
                        let s = self.any_sub();
                        let (kind, rows) = self.wrapped(wrapper, s);
                        Block { kind, rows }
                    })
                    .map(|mut b| {
                        if let Kind::Wrapped { inner, .. } = &mut b.kind
                            && let Kind::ArmError { failure, .. } = inner.as_mut()
                            && *failure == Failure::Unscoped
                        {
                            *failure = Failure::Denied(0);
                        }
                        b
                    })
                    .collect();
                self.place(Container::Har, blocks, "har")
            }
            Mix::Jsonc => {
                let block = self.json_block(true);
                let mut file = self.place(Container::Json, vec![block], "jsonc");
                file.comments = true;
                file
            }
            Mix::Duplicates => self.duplicates(),
            Mix::Shapes => self.shapes(),
        }
    }

    /// A mixed file (az output with `2>&1`) of `blocks`.
    fn mixed(&mut self, blocks: Vec<Block>) -> File {
        let compact = self.rng.chance(50);
        self.place(Container::Mixed { compact }, blocks, "txt")
    }

    /// The JSON an az loop prints for subscription `s`: its settings, or the value its
    /// `--query "[?name=='WDATP'].enabled"` picks, or the REST list `az rest` prints.
    fn loop_json(&mut self, s: usize) -> Block {
        let t = self.twist(true, false, true);
        match self.rng.below(4) {
            0 => {
                let (kind, rows) = self.az_query(s);
                Block { kind, rows }
            }
            1 => Block {
                kind: Kind::RestList {
                    style: RestStyle::Wire,
                    next_link: false,
                },
                rows: self.rows(s, Extent::All, t, IdMode::Full),
            },
            _ => {
                let extent = if self.rng.chance(25) {
                    Extent::One
                } else {
                    Extent::All
                };
                Block {
                    kind: Kind::AzArray,
                    rows: self.rows(s, extent, t, IdMode::Full),
                }
            }
        }
    }

    /// The error text a loop prints for subscription `s` (az's, or PowerShell's).
    fn loop_error(&mut self, s: usize) -> Block {
        let failure = self.failure(s);
        let kind = if self.rng.chance(70) {
            Kind::AzErrorText {
                failure,
                wrapped: false,
            }
        } else {
            Kind::PsErrorText { failure }
        };
        Block {
            kind,
            rows: Vec::new(),
        }
    }

    /// A failed attempt for one subscription, then the retry that worked.
    fn retry(&mut self) -> File {
        let s = self.any_sub();
        let failure = if self.rng.chance(70) {
            Failure::Denied(s)
        } else {
            Failure::NotFound(s)
        };
        match self.rng.below(3) {
            0 => {
                let blocks = vec![
                    Block {
                        kind: Kind::PsErrorText { failure },
                        rows: Vec::new(),
                    },
                    Block {
                        kind: Kind::Context {
                            sub: s,
                            by_name: false,
                            switch: Switch::ConnectAzAccount,
                            table: None,
                            tenant: None,
                        },
                        rows: Vec::new(),
                    },
                    Block {
                        kind: Kind::PsTable2 { ansi: false },
                        rows: self.rows(s, Extent::All, PLAIN, IdMode::None),
                    },
                ];
                self.place(Container::Transcript, blocks, "txt")
            }
            1 => {
                let wrapper = Wrapper::Har {
                    batch: self.rng.chance(40),
                    reversed: false,
                    base64: false,
                    shared_name: false,
                };
                let t = self.twist(true, true, false);
                let blocks = vec![
                    Block {
                        kind: Kind::Wrapped {
                            wrapper,
                            inner: Box::new(Kind::ArmError {
                                failure: Failure::Denied(s),
                                compact: true,
                            }),
                        },
                        rows: Vec::new(),
                    },
                    Block {
                        kind: Kind::Wrapped {
                            wrapper,
                            inner: Box::new(Kind::RestList {
                                style: RestStyle::Wire,
                                next_link: false,
                            }),
                        },
                        rows: self.rows(s, Extent::All, t, IdMode::Full),
                    },
                ];
                self.place(Container::Har, blocks, "har")
            }
            _ => {
                let json = self.loop_json(s);
                let blocks = vec![
                    Block {
                        kind: Kind::AzErrorText {
                            failure,
                            wrapped: false,
                        },
                        rows: Vec::new(),
                    },
                    json,
                ];
                self.mixed(blocks)
            }
        }
    }

    /// A listing whose WDATP row holds `enabled` twice, in two cases, with two values.
    fn duplicates(&mut self) -> File {
        let s = self.any_sub();
        let (kind, id, container, ext) = match self.rng.below(7) {
            0 => (Kind::AzArray, IdMode::Full, Container::Json, "json"),
            1 => (
                Kind::RestList {
                    style: self.rng.pick(&[RestStyle::Wire, RestStyle::Jq]),
                    next_link: false,
                },
                IdMode::Full,
                Container::Json,
                "json",
            ),
            2 => (
                Kind::PsJsonArray {
                    ps: self.rng.pick(&[Ps::V51, Ps::V7]),
                    with_id: true,
                },
                IdMode::Full,
                Container::Json,
                "json",
            ),
            3 => (
                Kind::PsList { select: false },
                IdMode::Full,
                Container::Text,
                "txt",
            ),
            4 => (
                Kind::Csv {
                    type_line: self.rng.chance(50),
                    semicolon: false,
                    with_id: false,
                    broken: None,
                },
                IdMode::None,
                Container::Text,
                "csv",
            ),
            5 => (
                Kind::Clixml {
                    ps: self.rng.pick(&[Ps::V51, Ps::V7]),
                    select: true,
                },
                IdMode::None,
                Container::Text,
                "xml",
            ),
            _ => (
                Kind::PsTable2 { ansi: false },
                IdMode::None,
                Container::Text,
                "txt",
            ),
        };
        let mut rows = self.rows(s, Extent::All, PLAIN, id);
        for row in rows.iter_mut().filter(|r: &&mut Row| r.name == Name::Wdatp) {
            row.dup = true;
        }
        self.place(container, vec![Block { kind, rows }], ext)
    }

    /// A file in one of the shapes of docs/supported-evidence.md the base generator lacks.
    fn shapes(&mut self) -> File {
        let s = self.any_sub();
        match self.rng.below(3) {
            0 => {
                let extent = if self.rng.chance(30) {
                    Extent::One
                } else {
                    Extent::All
                };
                let blocks = vec![
                    Block {
                        kind: Kind::Context {
                            sub: s,
                            by_name: false,
                            switch: Switch::ConnectAzAccount,
                            table: None,
                            tenant: None,
                        },
                        rows: Vec::new(),
                    },
                    Block {
                        kind: Kind::PsTable2 { ansi: false },
                        rows: self.rows(s, extent, PLAIN, IdMode::None),
                    },
                ];
                self.place(Container::Transcript, blocks, "txt")
            }
            1 => {
                let mut blocks = Vec::new();
                for _ in 0..=self.rng.below(2) {
                    let sub = self.any_sub();
                    let failure = self.failure(sub);
                    blocks.push(Block {
                        kind: Kind::PsErrorConcise { failure },
                        rows: Vec::new(),
                    });
                }
                self.place(Container::Text, blocks, "txt")
            }
            _ => {
                let t = Twist {
                    contradict: false,
                    redact: 0,
                    value: 0,
                    ..self.twist(false, false, false)
                };
                let rows = self.rows(s, Extent::All, t, IdMode::Full);
                self.place(
                    Container::Text,
                    vec![Block {
                        kind: Kind::AutoSizeTable,
                        rows,
                    }],
                    "txt",
                )
            }
        }
    }
}
