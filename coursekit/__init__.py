"""Tools for the people who write and run the course: stub generation (more commands join as they are built)."""
