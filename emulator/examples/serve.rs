//! Runs the emulator in the foreground: `cargo run -p bedrock-cris-emulator --example serve -- [PORT]`.

fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let config = bedrock_cris_emulator::EmulatorConfig {
        addr: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        ..Default::default()
    };
    let emulator = bedrock_cris_emulator::start(config)?;
    println!("{}", emulator.endpoint_url());
    while emulator.is_running() {
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    Ok(())
}
