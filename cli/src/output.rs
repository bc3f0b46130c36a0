//! Shared output helpers: logging set-up, JSON printing, and what a closed stdout does.

use serde::Serialize;

/// Sets up `tracing` logging to stderr with the given filter (RUST_LOG wins when set).
pub fn init_logging(filter: &str) {
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| filter.to_string());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Makes a write to a closed stdout or stderr (`masspoc plots list | head -1`) end the process
/// quietly, the way `head` expects of the command feeding it: SIGPIPE goes back to its default
/// action (Rust ignores it, and `println!` then panics with "failed printing to stdout").
/// Commands that run until stopped do not call this: a closed log pipe must not end a farmer.
pub fn end_quietly_on_closed_pipe() {
    // SAFETY: setting a signal's disposition to its default before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
