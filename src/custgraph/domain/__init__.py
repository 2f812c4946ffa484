"""The rules of each admin action; one function per action, one transaction each."""
