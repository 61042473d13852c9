"""Pitstop Lambda code asset: AppSync resolvers (handler) and the DynamoDB stream publisher."""
