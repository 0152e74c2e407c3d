curl -X PUT http://ECHO/api/i18n/greetings --json '{
  "city": "Zürich",
  "greeting": "こんにちは",
  "escaped": "\u00fc\u00df",
  "emoji": "🚀"
}'
