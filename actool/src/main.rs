fn main() {
    println!("actool {}", env!("CARGO_PKG_VERSION"));
}
