//! The vocabulary: the plain types every stage speaks, at the bottom of the crate. These
//! modules import nothing of the crate's but each other, so that any stage, the errors and
//! every report can use them without depending on another stage. With them at the bottom
//! stand `error` (whose variants hold only these types and data), `escape` (printable text
//! and paths) and `subscription` (subscription ids).

pub mod digest;
pub mod entry;
pub mod outcome;
pub mod verdict;
