//! The `cflux` binary: everything lives in the library.

fn main() -> std::process::ExitCode {
    cflux::cli::main()
}
