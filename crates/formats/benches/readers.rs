//! Reader benchmarks (filled in below).

fn main() {}
