"""One Streamlit page per file; `common` holds the shared page helpers."""
