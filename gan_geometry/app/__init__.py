"""The Gradio app (extra ``[app]``): ``settings`` (limits and folders), ``state`` (what one server
keeps: cached models and metrics, the cost model, downloads), ``handlers`` (what each control does:
plain functions over the engine, no gradio), ``layout`` (the page, one function per tab) and
``serve`` (build and launch). ``app.py`` at the repository root runs ``serve.main`` (Hugging Face
Spaces runs that file); ``gan-geometry app`` does the same. Importing this package loads no gradio.
"""
