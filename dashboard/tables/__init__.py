"""Table builders: column definitions and rows of the app's grids and summary tables (next to `figures/`).

Pure: frames in, AG Grid column definitions / row records or Dash table components out; one module per page.
"""
