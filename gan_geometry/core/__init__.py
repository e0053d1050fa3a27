"""The core: generators and their registry, image distances, the pull-back, the metric tensor by
every method, and the cost guard."""
