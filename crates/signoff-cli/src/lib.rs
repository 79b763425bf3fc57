//! The `signoff` command's definition (clap), shared by the command itself and by
//! `signoff-dist`, which generates the package's man pages and shell completions from it.

pub mod args;
