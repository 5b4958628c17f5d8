"""Reports: HTML pages rendered from results, and PDF through headless Chromium."""
