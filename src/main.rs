//! The `yuimaru` binary: parse the CLI, load config, init tracing, run.
use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = yuimaru::cli::Cli::parse();
    match yuimaru::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("yuimaru: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
