"""App-side logic that does not need Streamlit: accounts, strings, the demo bootstrap, the
analyst's what-if model and chart builders. `app.py` and `app_pages/` stay thin on top of it."""
