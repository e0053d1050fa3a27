"""Report builder: saved results -> HTML and PDF (Jinja2 + WeasyPrint). Built in issue 7."""
