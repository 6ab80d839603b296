//! `--format none`: no report on standard output, for a run that only wants the summary
//! line and the exit status (a gate in a pipeline), or whose reports go to `-o` files.

use std::io::Write;
use std::sync::Arc;

use super::{Flags, Render, Writer};
use crate::model::Report;

/// The writer of no report. It takes no file extension, so `-o` never picks it.
pub const WRITER: Writer = Writer {
    name: "none",
    extensions: &[],
    build: |_: &Flags| Arc::new(Nothing),
    is_own_report: |_| false,
    is_whole_report: |_| false,
};

/// Renders nothing.
#[derive(Debug)]
struct Nothing;

impl Render for Nothing {
    fn render(&self, _: &Report, _: &mut dyn Write) -> std::io::Result<()> {
        Ok(())
    }
}
