"""Reading source files: bytes to data with the position of every value. Knows no schema."""
