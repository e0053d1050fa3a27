from gan_geometry.training.wavegan import main

if __name__ == "__main__":
    main()
