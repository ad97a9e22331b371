"""The science of trainserve: specs, datasets, network builders, training and export.

Plain TensorFlow/Keras and NumPy. Nothing here knows about HTTP or queues, so
everything can be used from a notebook as well as from a worker. TensorFlow is
imported by the modules that need it, not here, so that reading a spec stays cheap.
"""
