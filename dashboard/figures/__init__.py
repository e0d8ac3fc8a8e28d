"""Pure figure builders: analysis frames in, plotly figures out."""
