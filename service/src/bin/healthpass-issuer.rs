//! The issuer service as a program of its own, for deployments that want the server without
//! the rest of the command line (`healthpass issuer serve` runs the same service, same flags).
//!
//! Exit codes: 0 stopped by SIGINT/SIGTERM; 2 unusable options; 3 the service could not start.

use std::process::ExitCode;

use healthpass_service::serve_options::ServeOptions;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "--help" || arg == "-h") {
        println!("{}", healthpass_service::serve_options::USAGE);
        return ExitCode::SUCCESS;
    }
    let config = match ServeOptions::from_args(&args).and_then(|options| options.config()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("healthpass-issuer: {error}");
            return ExitCode::from(2);
        }
    };
    match healthpass_service::run(&config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("healthpass-issuer: {error}");
            ExitCode::from(3)
        }
    }
}
