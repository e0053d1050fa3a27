"""GAN Geometry Lab: the Gradio app's entry point (Hugging Face Spaces runs this file unchanged).

The app is the ``gan_geometry.app`` package (settings, state, handlers, layout, serve); this file
only launches it: locally ``make demo`` serves it on http://127.0.0.1:7860; on Spaces, Spaces sets
the host and port.
"""

from gan_geometry.app.serve import main

if __name__ == "__main__":
    main()
