curl -b "session=$TOKEN; user=${USER_NAME}" -H 'Content-Type: application/json' -d "{\"user\":\"$USER_NAME\",\"apiKey\":\"${API_KEY}\",\"note\":\"it's \$5\"}" http://ECHO/api/login
