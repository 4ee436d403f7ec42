"""The project's tests: its migrations, run against a throwaway database."""
