"""Pure analysis functions: data frames in, data frames out."""
