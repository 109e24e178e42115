from tiered.cli import main

if __name__ == "__main__":  # not when a worker process re-imports the main module (dask)
    raise SystemExit(main())
