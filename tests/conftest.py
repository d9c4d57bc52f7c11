from hypothesis import settings

# The same examples on every run and every machine, so CI never fails by chance; no example database.
settings.register_profile("labkit", derandomize=True, database=None)
settings.load_profile("labkit")
