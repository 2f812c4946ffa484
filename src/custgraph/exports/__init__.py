"""Customer-list exports: the rows, the files, their storage."""
