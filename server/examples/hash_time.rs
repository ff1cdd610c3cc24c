//! Prints how long one password hash takes at Django 5.2's iteration count (used by
//! scripts/bench.sh to compare against Python's hashlib on the same machine).

use std::time::Instant;

use app::auth::password::{DjangoHash, DEFAULT_ITERATIONS};

fn main() {
    let runs = 5;
    let mut best = f64::MAX;
    for _ in 0..runs {
        let start = Instant::now();
        std::hint::black_box(DjangoHash::with_salt(
            "correct horse battery staple",
            "seasaltseasaltseasalt1",
            DEFAULT_ITERATIONS,
        ));
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!("{:.1}", best * 1000.0);
}
