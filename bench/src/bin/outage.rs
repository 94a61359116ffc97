//! The August 2021 weekend in miniature (issue 12): 1,000 pharmacies at the peak's ratios, the
//! central issuer down for 30 minutes, then back. Our outbox client (the real
//! `healthpass_core::outbox`, an SQLite outbox per pharmacy in memory, real request signatures)
//! and a naive client (fixed 1 s retries, no jitter, no budget, no idempotency key, gives up
//! after 20 minutes) in the same run, on one simulated clock, against the same service model
//! (`healthpass_tests::drill`). Prints the table and draws the offered load over time for both.
//!
//!     cargo run --release --manifest-path bench/Cargo.toml --bin outage [-- --plot FILE.png]
//!
//! The plot's text needs a TrueType font: DejaVu Sans from Debian's `fonts-dejavu-core`.

use std::time::Instant;

use healthpass_tests::drill::{DrillConfig, DrillResult, run_naive_client, run_outbox_client};
use healthpass_tests::fallback_drill::load_window_seconds;
use plotters::prelude::*;

const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let plot = args.iter().position(|arg| arg == "--plot").and_then(|index| args.get(index + 1)).cloned();
    let config = DrillConfig::weekend();
    println!(
        "outage drill: {} pharmacies, an entry every {:.0} s each ({:.2}/s), capacity C = {:.2}/s, \
         service down from {} s to {} s, entries until {} s, {} s in all, {:.0}% of answers lost on the network",
        config.pharmacies,
        config.entry_interval_seconds,
        config.pharmacies as f64 / config.entry_interval_seconds,
        config.capacity_per_second,
        config.outage_start,
        config.outage_end,
        config.entries_until,
        config.horizon,
        config.answer_loss * 100.0
    );
    let started = Instant::now();
    let ours = run_outbox_client(&config, None);
    let ours_took = started.elapsed();
    let started = Instant::now();
    let naive = run_naive_client(&config);
    let naive_took = started.elapsed();

    println!(
        "\n| client | entries | lost | duplicates | peak offered on recovery ({} s mean) | backlog drained after recovery | entry to pass p50 | p99 |",
        load_window_seconds(config.capacity_per_second)
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (name, result) in [("outbox (ours)", &ours), ("naive: 1 s retries, no key, gives up at 20 min", &naive)] {
        println!(
            "| {name} | {} | {} | {} | {:.2}x C | {} | {:.0} s | {:.0} s |",
            result.entries,
            result.lost,
            result.duplicates,
            result.peak_recovery_load,
            result.backlog_drained_after.map_or_else(|| "never".to_owned(), |seconds| format!("{seconds} s")),
            result.p50_seconds,
            result.p99_seconds
        );
    }
    println!(
        "\nsimulated in {:.1} s (ours, with real SQLite outboxes and signatures) and {:.1} s (naive)",
        ours_took.as_secs_f64(),
        naive_took.as_secs_f64()
    );
    if let Some(path) = plot {
        match draw(&path, &config, &ours, &naive) {
            Ok(()) => println!("plot: {path}"),
            Err(error) => println!("plot not drawn: {error}"),
        }
    }
}

/// Offered load per minute over time, as a multiple of C, for both clients.
fn draw(
    path: &str,
    config: &DrillConfig,
    ours: &DrillResult,
    naive: &DrillResult,
) -> Result<(), Box<dyn std::error::Error>> {
    let font = std::fs::read(FONT).map_err(|error| format!("{FONT}: {error} (apt-get install fonts-dejavu-core)"))?;
    plotters::style::register_font("sans-serif", FontStyle::Normal, Box::leak(font.into_boxed_slice()))
        .map_err(|_| "the font could not be read")?;
    let series = |result: &DrillResult| -> Vec<(f64, f64)> {
        result
            .offered_per_second
            .chunks(60)
            .enumerate()
            .map(|(minute, window)| {
                let mean = f64::from(window.iter().sum::<u32>()) / window.len() as f64;
                (minute as f64, (mean / config.capacity_per_second).max(0.01))
            })
            .collect()
    };
    let (ours_series, naive_series) = (series(ours), series(naive));
    let top = naive_series.iter().chain(&ours_series).map(|&(_, load)| load).fold(1.0, f64::max) * 1.5;
    let minutes = config.horizon as f64 / 60.0;

    let root = BitMapBackend::new(path, (1200, 640)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Offered load during a 30-minute issuer outage (1,000 pharmacies)", ("sans-serif", 26))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(0.0..minutes, (0.01..top).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("minutes")
        .y_desc("offered load / capacity C (log)")
        .label_style(("sans-serif", 16))
        .axis_desc_style(("sans-serif", 18))
        .draw()?;
    let outage = [(config.outage_start as f64 / 60.0, 0.01), (config.outage_end as f64 / 60.0, top)];
    chart
        .draw_series(std::iter::once(Rectangle::new(outage, RGBColor(230, 230, 230).filled())))?
        .label("issuer down")
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], RGBColor(210, 210, 210).filled()));
    chart
        .draw_series(LineSeries::new([(0.0, 1.0), (minutes, 1.0)], BLACK.stroke_width(1)))?
        .label("capacity C")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK));
    chart
        .draw_series(LineSeries::new([(0.0, 1.5), (minutes, 1.5)], RGBColor(120, 120, 120).stroke_width(1)))?
        .label("1.5 C");
    let red = RGBColor(200, 40, 40);
    let blue = RGBColor(30, 90, 200);
    chart
        .draw_series(LineSeries::new(naive_series, red.stroke_width(2)))?
        .label("naive client: 1 s retries, no key, no budget")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], red.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(ours_series, blue.stroke_width(2)))?
        .label("healthpass outbox: jitter, Retry-After, budget")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], blue.stroke_width(2)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 16))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
