"""The Gradio app of GAN Geometry Lab, in rooms that say what they are:

    settings.py   limits and folders, read from the environment when the app is built
    state.py      what one server keeps: cached models and metrics, the downloads folder
    handlers.py   what each control does: plain functions over the engine, no gradio import,
                  tested in-process (tests/test_app_handlers.py)
    layout.py     the page: components, event wiring, engine errors shown as messages

``app.py`` builds the interface and launches it (Hugging Face Spaces runs it unchanged).
Nothing happens at import: folders and caches are made by ``AppState`` when the app is built.
"""
