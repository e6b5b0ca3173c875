//! `testkit-seed`: seed, snapshot and compare IMAP accounts from shell scripts.
//!
//! ```text
//! testkit-seed --port P --user U --password-file F [--personality main|dot] --bulk N [--seed S]
//! testkit-seed --port P --user U --password-file F [--personality main|dot] --edge-cases
//! testkit-seed --port P --user U --password-file F [--personality main|dot] --snapshot
//! testkit-seed compare LEFT.json RIGHT.json
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{ArgGroup, Parser};
use testkit::{seed, Account, Corpus, Personality, Snapshot};

/// Seed an account with a corpus, or print its snapshot as JSON.
///
/// Use `testkit-seed compare LEFT.json RIGHT.json` to compare two snapshots
/// (exit 0 when equal, 1 when different).
#[derive(Parser)]
#[command(name = "testkit-seed")]
#[command(group(ArgGroup::new("mode").required(true).args(["bulk", "edge_cases", "snapshot"])))]
struct SeedCli {
    /// IMAP server address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Plain IMAP port.
    #[arg(long)]
    port: u16,
    /// Login name.
    #[arg(long)]
    user: String,
    /// File whose first line is the password.
    #[arg(long)]
    password_file: PathBuf,
    /// Folder layout of the server: main (`/`) or dot (`INBOX.` and `.`).
    #[arg(long, default_value = "main")]
    personality: Personality,
    /// Seed COUNT benchmark messages.
    #[arg(long, value_name = "COUNT")]
    bulk: Option<usize>,
    /// Seed of the bulk generator.
    #[arg(long, default_value_t = 1, requires = "bulk")]
    seed: u64,
    /// Share of 1-5 MB messages in the bulk corpus.
    #[arg(long, default_value_t = 0.005, requires = "bulk")]
    large_fraction: f64,
    /// Seed the edge-case corpus.
    #[arg(long)]
    edge_cases: bool,
    /// Add one message of BYTES bytes to the edge-case corpus.
    #[arg(long, value_name = "BYTES", requires = "edge_cases")]
    large: Option<usize>,
    /// Print a JSON snapshot of the account instead of seeding.
    #[arg(long)]
    snapshot: bool,
}

/// Compare two JSON snapshots written by `--snapshot`.
#[derive(Parser)]
#[command(name = "compare", bin_name = "testkit-seed compare")]
struct CompareCli {
    /// Snapshot of the first account.
    left: PathBuf,
    /// Snapshot of the second account.
    right: PathBuf,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let result = if args.get(1).map(String::as_str) == Some("compare") {
        compare(CompareCli::parse_from(&args[1..]))
    } else {
        run(SeedCli::parse_from(&args))
    };
    result.unwrap_or_else(|e| {
        eprintln!("testkit-seed: {e}");
        ExitCode::from(2)
    })
}

type AnyResult<T> = Result<T, Box<dyn std::error::Error>>;

fn run(cli: SeedCli) -> AnyResult<ExitCode> {
    let account = account(&cli)?;
    if cli.snapshot {
        let snapshot = Snapshot::take(&account)?;
        println!("{}", serde_json::to_string_pretty(&snapshot)?);
        return Ok(ExitCode::SUCCESS);
    }
    let corpus = match cli.bulk {
        Some(count) => Corpus::bulk(cli.seed, count, cli.large_fraction),
        None => with_large(Corpus::edge_cases(), cli.large),
    };
    let started = Instant::now();
    seed(&account, &corpus)?;
    println!(
        "seeded messages={} bytes={} mb={:.1} seconds={:.1}",
        corpus.len(),
        corpus.total_bytes(),
        corpus.total_bytes() as f64 / (1024.0 * 1024.0),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

fn with_large(corpus: Corpus, large: Option<usize>) -> Corpus {
    match large {
        Some(bytes) => corpus.with_large(bytes),
        None => corpus,
    }
}

fn account(cli: &SeedCli) -> AnyResult<Account> {
    let text = std::fs::read_to_string(&cli.password_file)?;
    let password = text.lines().next().unwrap_or_default().to_string();
    Ok(Account::new(
        &cli.host,
        cli.port,
        cli.personality,
        &cli.user,
        password,
    ))
}

fn compare(cli: CompareCli) -> AnyResult<ExitCode> {
    let left = read_snapshot(&cli.left)?;
    let right = read_snapshot(&cli.right)?;
    if left == right {
        println!(
            "equal: {} folders, {} messages",
            left.folders.len(),
            left.message_count()
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!("different:\n{}", left.diff(&right));
    Ok(ExitCode::from(1))
}

fn read_snapshot(path: &PathBuf) -> AnyResult<Snapshot> {
    let text = std::fs::read_to_string(path)?;
    Ok(serde_json::from_str(&text)?)
}
