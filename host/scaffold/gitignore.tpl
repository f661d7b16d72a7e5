*.wasm
*.partial
test-output.json
target/
__pycache__/
