curl -H "Authorization: Bearer $TOKEN" "http://ECHO/api/users/${USER_NAME}/repos?key=$API_KEY&per_page=100"
