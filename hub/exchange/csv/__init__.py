"""Records as spreadsheets: the CSV template, uploads processed in chunks, and the row report."""
