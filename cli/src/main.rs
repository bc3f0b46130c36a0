//! The `masspoc` command.
fn main() {}
