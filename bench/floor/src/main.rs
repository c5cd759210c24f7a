//! The floor of the benchmark suite: the same scenarios as `bench/suite.py`, driven from pure
//! Rust through `aws-sdk-bedrockruntime`, so no Python binding of that SDK can beat them.
//!
//! ```text
//! bedrock-cris-floor SCENARIO --endpoint URL [--runtime multi|current] [--seconds S]
//!                    [--warmup S] [--concurrency C] [--model ID] [--workers N]
//!                    [--drive inside|per-call|spawn|thread|per-call-ticks|per-call-ticks-later]
//! ```
//!
//! Scenarios, each run for a warm-up and then timed for `--seconds`, as `bench/worker.py`
//! runs them: `cold` (build a client, make no call), `sequential` (Converse calls one after
//! the other), `concurrent` (Converse calls from C tasks at once), `stream` (ConverseStream
//! calls, every event read). Prints one JSON object like the worker's: `ops`, `events`,
//! `wall` and `cpu` (user+sys of the whole process) in seconds, `switches` (context switches)
//! `server_cpu` (the emulator's CPU seconds, given `--server-pid`) and `rss_peak` (KiB).
//!
//! `--workers` and `--drive` are for profiling the binding's choices: how many runtime workers,
//! and whether a sequential call is awaited inside one `block_on` (the floor), waited for with
//! a `block_on` per call from the calling thread (what a blocking binding does), or spawned
//! onto the workers with the calling thread waiting for its result.

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_sdk_bedrockruntime::config::{Credentials, Region};
use aws_sdk_bedrockruntime::types::{ContentBlock, ConversationRole, Message};
use aws_sdk_bedrockruntime::Client;

const DEFAULT_MODEL: &str = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
const PROMPT: &str = "Explain cloud computing in 2 sentences.";

/// How sequential calls are driven (the variants a Python binding can choose between).
#[derive(Clone, Copy, PartialEq)]
enum Drive {
    /// One `block_on` around the whole loop: the floor proper.
    Inside,
    /// One `block_on` per call from the main thread, as a binding's blocking call does.
    PerCall,
    /// Each call spawned onto the runtime, the main thread blocking on its handle.
    Spawn,
    /// Each call spawned onto a current_thread runtime that a dedicated thread drives, the
    /// main thread blocking on a channel for its result (one hand-off each way).
    Thread,
    /// As `PerCall`, racing the call against a 50 ms signal-check interval whose first tick
    /// is awaited at once (what the binding's main-thread wait did).
    PerCallTicks,
    /// As `PerCallTicks` with the interval's first tick 50 ms out.
    PerCallTicksLater,
}

struct Args {
    scenario: String,
    endpoint: String,
    current_thread: bool,
    workers: Option<usize>,
    drive: Drive,
    seconds: f64,
    warmup: f64,
    concurrency: usize,
    model: String,
    server_pid: u32,
}

fn parse_args() -> Result<Args, String> {
    let mut argv = std::env::args().skip(1);
    let scenario = argv.next().ok_or("missing SCENARIO")?;
    let mut args = Args {
        scenario,
        endpoint: String::new(),
        current_thread: false,
        workers: None,
        drive: Drive::Inside,
        seconds: 2.0,
        warmup: 0.3,
        concurrency: 1,
        model: DEFAULT_MODEL.to_owned(),
        server_pid: 0,
    };
    while let Some(flag) = argv.next() {
        let value = argv.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || value.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
        let float = || value.parse::<f64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--endpoint" => args.endpoint = value.clone(),
            "--runtime" => args.current_thread = value == "current",
            "--workers" => args.workers = Some(number()?.max(1)),
            "--drive" => {
                args.drive = match value.as_str() {
                    "inside" => Drive::Inside,
                    "per-call" => Drive::PerCall,
                    "spawn" => Drive::Spawn,
                    "thread" => Drive::Thread,
                    "per-call-ticks" => Drive::PerCallTicks,
                    "per-call-ticks-later" => Drive::PerCallTicksLater,
                    other => return Err(format!("--drive: unknown {other}")),
                }
            }
            "--seconds" => args.seconds = float()?,
            "--warmup" => args.warmup = float()?,
            "--concurrency" => args.concurrency = number()?.max(1),
            "--model" => args.model = value.clone(),
            "--server-pid" => args.server_pid = number()? as u32,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if args.endpoint.is_empty() {
        return Err("--endpoint is required".into());
    }
    Ok(args)
}

/// User+sys CPU seconds, context switches and peak RSS (KiB) of this process (all threads).
fn usage() -> (f64, i64, i64) {
    // SAFETY: getrusage only writes into the zeroed struct we pass.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (
        secs(usage.ru_utime) + secs(usage.ru_stime),
        usage.ru_nvcsw + usage.ru_nivcsw,
        usage.ru_maxrss,
    )
}

/// User+sys CPU seconds of the emulator process so far (0 when unknown).
fn server_cpu(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (ticks(11) + ticks(12)) / hz
}

/// A client configured as the binding configures its own (aws-config defaults, explicit
/// credentials, the emulator's endpoint), minus the binding's capture interceptor.
async fn client(endpoint: &str) -> Client {
    let shared = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("bench", "bench", None, None, "bench"))
        .load()
        .await;
    Client::new(&shared)
}

fn message() -> Message {
    Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::Text(PROMPT.to_owned()))
        .build()
        .expect("role and content are set")
}

async fn converse(client: &Client, model: &str) -> Result<(), String> {
    client
        .converse()
        .model_id(model)
        .messages(message())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| format!("{:?}", e))
}

async fn converse_stream(client: &Client, model: &str) -> Result<usize, String> {
    let output = client
        .converse_stream()
        .model_id(model)
        .messages(message())
        .send()
        .await
        .map_err(|e| format!("{:?}", e))?;
    let mut stream = output.stream;
    let mut events = 0;
    while let Some(_event) = stream.recv().await.map_err(|e| format!("{:?}", e))? {
        events += 1;
    }
    Ok(events)
}

/// Converse calls from `concurrency` tasks until `seconds` have passed; returns the count.
async fn concurrent(client: &Client, args: &Args, seconds: f64) -> Result<usize, String> {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let done = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::with_capacity(args.concurrency);
    for _ in 0..args.concurrency {
        let (client, done, model) = (client.clone(), done.clone(), args.model.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                converse(&client, &model).await?;
                done.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<(), String>(())
        }));
    }
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    Ok(done.load(Ordering::Relaxed))
}

/// Runs one scenario for `seconds`; returns (calls, events).
async fn scenario(client: &Client, args: &Args, seconds: f64) -> Result<(usize, usize), String> {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let (mut ops, mut events) = (0, 0);
    match args.scenario.as_str() {
        "sequential" => {
            while Instant::now() < deadline {
                converse(client, &args.model).await?;
                ops += 1;
            }
        }
        "concurrent" => ops = concurrent(client, args, seconds).await?,
        "stream" => {
            while Instant::now() < deadline {
                events += converse_stream(client, &args.model).await?;
                ops += 1;
            }
        }
        other => return Err(format!("unknown scenario {other}")),
    }
    Ok((ops, events))
}

async fn run(args: Args) -> Result<String, String> {
    let client = client(&args.endpoint).await;
    if args.scenario == "cold" {
        let (cpu, switches, peak) = usage();
        return Ok(report((0, 0), 0.0, (cpu, 0.0), switches, peak));
    }
    scenario(&client, &args, args.warmup).await?;
    let (cpu0, switches0, _) = usage();
    let server0 = server_cpu(args.server_pid);
    let wall0 = Instant::now();
    let (ops, events) = scenario(&client, &args, args.seconds).await?;
    let wall = wall0.elapsed().as_secs_f64();
    let (cpu1, switches1, peak) = usage();
    let server = server_cpu(args.server_pid) - server0;
    Ok(report(
        (ops, events),
        wall,
        (cpu1 - cpu0, server),
        switches1 - switches0,
        peak,
    ))
}

/// Sequential calls made from outside the runtime, one wait per call.
fn run_outside(runtime: &tokio::runtime::Runtime, args: Args) -> Result<String, String> {
    let client = runtime.block_on(client(&args.endpoint));
    let call = || match args.drive {
        Drive::Spawn => {
            let (client, model) = (client.clone(), args.model.clone());
            let handle = runtime.spawn(async move { converse(&client, &model).await });
            runtime.block_on(handle).map_err(|e| e.to_string())?
        }
        Drive::Thread => {
            let (client, model) = (client.clone(), args.model.clone());
            let (done, result) = std::sync::mpsc::sync_channel(1);
            dedicated().spawn(async move {
                let _ = done.send(converse(&client, &model).await);
            });
            result.recv().map_err(|e| e.to_string())?
        }
        Drive::PerCallTicks | Drive::PerCallTicksLater => runtime.block_on(async {
            let call = converse(&client, &args.model);
            tokio::pin!(call);
            let poll = Duration::from_millis(50);
            let mut ticks = if args.drive == Drive::PerCallTicks {
                let mut ticks = tokio::time::interval(poll);
                ticks.tick().await;
                ticks
            } else {
                tokio::time::interval_at(tokio::time::Instant::now() + poll, poll)
            };
            loop {
                tokio::select! {
                    biased;
                    out = &mut call => return out,
                    _ = ticks.tick() => {}
                }
            }
        }),
        _ => runtime.block_on(converse(&client, &args.model)),
    };
    let timed = |seconds: f64| -> Result<usize, String> {
        let deadline = Instant::now() + Duration::from_secs_f64(seconds);
        let mut ops = 0;
        while Instant::now() < deadline {
            call()?;
            ops += 1;
        }
        Ok(ops)
    };
    timed(args.warmup)?;
    let (cpu0, switches0, _) = usage();
    let server0 = server_cpu(args.server_pid);
    let wall0 = Instant::now();
    let ops = timed(args.seconds)?;
    let wall = wall0.elapsed().as_secs_f64();
    let (cpu1, switches1, peak) = usage();
    let server = server_cpu(args.server_pid) - server0;
    Ok(report(
        (ops, 0),
        wall,
        (cpu1 - cpu0, server),
        switches1 - switches0,
        peak,
    ))
}

/// A current_thread runtime driven forever by its own thread (the `thread` drive).
fn dedicated() -> &'static tokio::runtime::Handle {
    static HANDLE: std::sync::OnceLock<tokio::runtime::Handle> = std::sync::OnceLock::new();
    HANDLE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio");
        let handle = runtime.handle().clone();
        std::thread::spawn(move || runtime.block_on(std::future::pending::<()>()));
        handle
    })
}

/// The JSON line: (calls, events), wall seconds, (own CPU, emulator CPU) seconds, ...
fn report(
    (ops, events): (usize, usize),
    wall: f64,
    (cpu, server_cpu): (f64, f64),
    switches: i64,
    peak: i64,
) -> String {
    format!(
        r#"{{"ops": {ops}, "events": {events}, "wall": {wall:.6}, "cpu": {cpu:.6}, "server_cpu": {server_cpu:.6}, "switches": {switches}, "rss_before": 0, "rss_peak": {peak}}}"#
    )
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("bedrock-cris-floor: {e}");
            return ExitCode::from(2);
        }
    };
    let mut builder = if args.current_thread {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    if let (Some(workers), false) = (args.workers, args.current_thread) {
        builder.worker_threads(workers);
    }
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("bedrock-cris-floor: cannot start tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = if args.drive == Drive::Inside || args.scenario != "sequential" {
        runtime.block_on(run(args))
    } else {
        run_outside(&runtime, args)
    };
    match outcome {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bedrock-cris-floor: {e}");
            ExitCode::FAILURE
        }
    }
}
