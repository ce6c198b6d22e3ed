"""From a model source to an artifact file: model sources and the zoo, the pipeline and
its content-addressed cache, conversion, training budgets and artifact facts."""
