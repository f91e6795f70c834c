"""Experience records and the submissions that bring them in: validation, intake, access,
withdrawal, retention."""
