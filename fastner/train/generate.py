"""Deterministic synthetic French court-of-appeal decisions, with exact entity offsets.

A document is rendered from sentence templates whose slots are filled with invented parties, lawyers,
judges, companies, addresses, courts and dates. Each sentence is kept as a list of parts
`(text, label)`; variants (dropped titles, lowercased names, merged words, typos...) edit the parts, and
the text and character offsets are computed from the parts last, so offsets stay exact whatever the
variants. Name lists and template lists are partitioned once: the `test` split draws only from a fifth
of every list, never seen by `train` or `dev`.

Everything is driven by `random.Random` instances seeded from strings (hashed with SHA-512 by
`random`, so independent of `PYTHONHASHSEED`): the same arguments give the same documents everywhere.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from itertools import islice
from typing import TypeVar

LABELS = ("PERS", "ADDRESS", "ORGANIZATION", "LAWYER", "JUDGE_CLERK", "BAR", "COURT", "DATE")
SPLITS = ("train", "dev", "test")
PERSON_LABELS = ("PERS", "LAWYER", "JUDGE_CLERK")

T = TypeVar("T")


def _items(text: str) -> tuple[str, ...]:
    """Comma-separated entries of a multi-line string, whitespace normalized, duplicates removed, in order."""
    return tuple(dict.fromkeys(" ".join(item.split()) for item in text.split(",") if item.strip()))


# ---------------------------------------------------------------------------------------------------
# Name lists (partitioned between splits)
# ---------------------------------------------------------------------------------------------------

MALE_FIRST_NAMES = _items("""
    Jean, Pierre, Michel, André, Philippe, Alain, Jacques, Bernard, Patrick, Daniel, Christian, Nicolas,
    Christophe, Éric, Frédéric, Laurent, Stéphane, David, Olivier, Sébastien, Julien, Thierry, Pascal,
    François, Gérard, Didier, Claude, Bruno, Thomas, Patrice, Vincent, Jean-Pierre, Jean-Claude, Jean-Luc,
    Jean-Marc, Jean-François, Jean-Louis, Jean-Paul, Jean-Michel, Marc, Yves, Serge, Henri, Guy, Roger,
    Denis, Franck, Antoine, Alexandre, Maxime, Romain, Guillaume, Mathieu, Cédric, Jérôme, Fabrice,
    Emmanuel, Arnaud, Benoît, Raymond, Marcel, Louis, Georges, René, Paul, Robert, Joseph, Lucien, Gilles,
    Hervé, Lionel, Régis, Joël, Xavier, Yannick, Ludovic, Anthony, Kevin, Jonathan, Florian, Quentin, Hugo,
    Lucas, Théo, Baptiste, Clément, Adrien, Damien, Grégory, Jérémy, Mickaël, Sylvain, Loïc, Gaëtan, Rémi,
    Samuel, Simon, Hubert, Bertrand, Gaston, Roland, Albert, Maurice, Fernand, Émile, Raphaël, Arthur,
    Victor, Léon, Mohamed, Karim, Ahmed, Rachid, Mehdi, Nabil, Youssef, Kamel, Farid, Sofiane, Ali, Hamid,
    Samir, Mustapha, Gabriel, Nathan, Enzo, Matthieu, Aurélien, Fabien, Jean-Baptiste, Pierre-Yves,
    Marc-Antoine, Étienne, Gilbert, Alfred, Jules, Francis, Bernard-Marie, Eugène, Marius, Félix
""")

FEMALE_FIRST_NAMES = _items("""
    Marie, Nathalie, Isabelle, Sylvie, Catherine, Françoise, Martine, Christine, Monique, Valérie, Sandrine,
    Véronique, Nicole, Stéphanie, Sophie, Céline, Chantal, Patricia, Anne, Brigitte, Julie, Sandra, Aurélie,
    Émilie, Caroline, Laurence, Corinne, Jacqueline, Danielle, Hélène, Christiane, Claire, Virginie,
    Élisabeth, Annie, Delphine, Florence, Laetitia, Audrey, Agnès, Sabrina, Karine, Pascale, Mireille,
    Josiane, Odile, Colette, Jeanne, Denise, Madeleine, Simone, Suzanne, Yvette, Paulette, Ginette,
    Marie-Claire, Marie-Christine, Marie-Thérèse, Anne-Marie, Marie-France, Marie-Hélène, Anne-Sophie,
    Élodie, Camille, Charlotte, Manon, Léa, Chloé, Emma, Inès, Sarah, Laura, Pauline, Mélanie, Marion,
    Amandine, Jessica, Vanessa, Magali, Myriam, Béatrice, Geneviève, Bernadette, Odette, Lucie, Alice,
    Juliette, Mathilde, Margaux, Clémence, Justine, Océane, Morgane, Gaëlle, Solène, Nadia, Fatima, Samia,
    Leïla, Karima, Naïma, Malika, Yasmina, Rachida, Aïcha, Khadija, Noémie, Agathe, Bérénice, Capucine,
    Diane, Eugénie, Gisèle, Huguette, Irène, Josette, Lucienne, Marcelle, Renée, Viviane, Yolande,
    Évelyne, Ghislaine, Muriel, Fabienne, Carole, Cécile, Estelle, Gwenaëlle, Armelle, Sylviane, Danièle
""")

SURNAMES = _items("""
    Martin, Bernard, Thomas, Robert, Richard, Durand, Dubois, Moreau, Laurent, Simon, Michel, Lefebvre,
    Leroy, Roux, David, Bertrand, Morel, Fournier, Girard, Dupont, Lambert, Rousseau, Vincent, Muller,
    Lefèvre, Faure, André, Guérin, Boyer, Garnier, François, Legrand, Gauthier, Garcia, Perrin, Robin,
    Clément, Morin, Nicolas, Henry, Roussel, Mathieu, Gautier, Masson, Duval, Denis, Dumont, Lemaire, Noël,
    Meyer, Dufour, Blanchard, Giraud, Joly, Lucas, Brunet, Gaillard, Arnaud, Martinez, Gérard, Schmitt,
    Roy, Leroux, Colin, Vidal, Caron, Picard, Roger, Fabre, Aubert, Lemoine, Renaud, Dumas, Lacroix,
    Philippe, Rolland, Lopez, Fleury, Leclerc, Aubry, Deschamps, Guillaume, Leclercq, Benoît, Royer,
    Carpentier, Maillard, Gilbert, Hubert, Perret, Charles, Rey, Lebrun, Huet, Guillot, Collet, Bailly,
    Perrot, Lecomte, Prévost, Jacquet, Daniel, Hamon, Pons, Renault, Adam, Germain, Besson, Marty,
    Humbert, Schneider, Leblanc, Weber, Hoarau, Payet, Mallet, Guichard, Lejeune, Tessier, Devaux,
    Bouchet, Rémy, Jacob, Brunel, Chauvin, Klein, Delmas, Delaunay, Fernandez, Rodriguez, Sanchez,
    Gonzalez, Perez, Ferreira, Pereira, Rodrigues, Fernandes, Gomes, Lopes, Martins, Teixeira, Cohen,
    Lévy, Haddad, Benali, Belkacem, Mansouri, Bensaid, Cherif, Bouzid, Hamidi, Brahimi, Amrani, Meziane,
    Kaci, Ouali, Nguyen, Tran, Pham, Rossi, Ricci, Bianchi, Romano, Colombo, Ferrari, Esposito, Marchetti,
    Guerrini, Wagner, Becker, Hoffmann, Zimmermann, Koenig, Schwartz, Fischer, Keller, Lang, Walter,
    Kieffer, Bourdon, Pichon, Lebon, Texier, Hardy, Barthélemy, Navarro, Bousquet, Courtois, Bertin,
    Ménard, Michaud, Vasseur, Labbé, Delattre, Dupuis, Dupuy, Charrier, Bouvet, Blondel, Marchal, Maury,
    Tanguy, Guillou, Kerbrat, Cadiou, Quéméner, Jaouen, Morvan, Caradec, Gourvès, Laurens, Chevallier,
    Granier, Arnould, Bouchard, Delorme, Jourdan, Baudry, Lacombe, Rigaud, Verdier, Carlier, Lamy,
    Descamps, Renou, Fouquet, Lebreton, Langlois, Besnard, Lefort, Pasquier, Riou, Tissot, Bazin, Jolivet,
    Perrier, Reynaud, Girault, Vallet, Mathis, Ollivier, Chauvet, Bonnefoy, Toussaint, Delage, Moreno,
    Ruiz, Alves, Vieira, Coulon, Gosselin, Lemaître, Guyot, Hébert, Baudouin, Thibault, Bourdin, Garreau,
    Leconte, Bigot, Favre, Chabert, Ferrand, Coste, Jullien, Bodin, Bénard, Laporte, Chapuis, Simonet,
    Pottier, Peltier, Weiss, Kaufmann, Lorenzi, Santini, Paoli, Albertini, Mattei, Luciani, Filippi,
    Giacomoni, Etcheverry, Harriet, Larrouy, Iribarne, Duhalde, Lagarde, Castagné, Fabregat, Soulier,
    Vergnes, Malet, Brossard, Chastel, Faivre, Jeanneret, Grosjean, Vuillemin, Cuenot, Poncet, Rochat
""")

# Surnames that are also French common nouns or adjectives (the `common_noun_names` variant).
COMMON_NOUN_SURNAMES = _items("""
    Boulanger, Marchand, Petit, Boucher, Meunier, Charpentier, Berger, Fontaine, Chevalier, Blanc, Moulin,
    Rivière, Roche, Renard, Barbier, Bourgeois, Baron, Carré, Cousin, Poirier, Maréchal, Marin, Sauvage,
    Chevrier, Cordier, Pelletier, Vigneron, Mercier, Bouvier, Brun, Bonnet, Mouton, Loup, Lièvre, Faucon,
    Pigeon, Merle, Pinson, Moineau, Rossignol, Corbeau, Poulain, Chevreuil, Poisson, Bouquet, Rose,
    Buisson, Chêne, Pommier, Noyer, Laurier, Rosier, Rocher, Marais, Vallée, Voisin, Prince, Comte,
    Marquis, Page, Sergent, Prieur, Moine, Pasteur, Potier, Tisserand, Couturier, Serrurier, Tonnelier,
    Vacher, Forestier, Marteau, Sabot, Gros, Grand, Sage, Héritier, Bonhomme, Clerc, Barre, Barbe, Millet
""")

STREET_NAMES = _items("""
    des Lilas, Victor Hugo, de la République, Jean Jaurès, du Général de Gaulle, Pasteur, de la Gare,
    des Écoles, de l'Église, du Moulin, des Acacias, des Tilleuls, du Château, de la Mairie, Gambetta,
    Carnot, Voltaire, de Paris, Saint-Jean, Émile Zola, Anatole France, de la Liberté, Foch,
    du Maréchal Leclerc, Jules Ferry, de Verdun, de la Paix, des Roses, du Stade, des Vignes, du Port,
    Nationale, du 8 Mai 1945, du 11 Novembre 1918, Paul Bert, Pierre Brossolette, Jean Moulin,
    des Cerisiers, des Peupliers, des Marronniers, de la Fontaine, des Jardins, du Commerce, de la Poste,
    Principale, de Lyon, de Bordeaux, Louis Pasteur, Marcel Pagnol, Albert Camus, Jean Monnet,
    Georges Clemenceau, Henri Barbusse, Gabriel Péri, Maurice Ravel, Claude Debussy, Hector Berlioz,
    Frédéric Mistral, Alphonse Daudet, des Alpes, du Lac, de la Forêt, des Prés, des Sources, de la Croix,
    du Puits, des Platanes, des Chênes, des Mimosas, des Violettes, des Pins, du Midi, de Belfort,
    de Strasbourg, de Metz, d'Alsace, de Lorraine, de Bretagne, de Provence, de la Résistance,
    des Déportés, des Fusillés, de l'Hôtel de Ville, du Marché, de la Halle, des Remparts, du Faubourg,
    Saint-Michel, Saint-Pierre, Saint-Martin, Sainte-Catherine, Notre-Dame, Lamartine, Racine, Molière,
    Corneille, Rabelais, Montaigne, Diderot, Condorcet, Jean-Jacques Rousseau, Edmond Rostand,
    Pierre Curie, Marie Curie, Ampère, Branly, Édouard Herriot, Garibaldi, Vauban, Colbert, Richelieu,
    Mozart, Beethoven, Jean Macé, Paul Doumer, Aristide Briand, Léon Blum, Salvador Allende,
    Pablo Picasso, Paul Cézanne, Auguste Renoir, des Tanneurs, des Forges, de la Tuilerie, des Carrières,
    du Canal, de la Loire, du Rhône, de la Saône, de la Garonne, de la Seine, des Bruyères, des Genêts,
    des Hirondelles, des Alouettes, des Mésanges, du Bois, des Bleuets, des Coquelicots, des Primevères,
    des Églantines, du Soleil, des Orangers, des Oliviers, du Vieux Moulin, de la Chapelle, du Prieuré,
    de l'Abbaye, des Cordeliers, des Capucins, des Carmes, de la Monnaie, Mercière, Vendôme, de Créqui,
    Duguesclin, de Sèze, Tronchet, Masséna, de Marseille, de Toulouse, de Nantes, d'Italie, d'Espagne,
    de Genève, des Frères Lumière, Joliot-Curie, Roger Salengro, Alsace-Lorraine, de l'Industrie,
    de l'Avenir, du Progrès, des Artisans, des Combattants, de la Victoire, du Souvenir, Pierre Sémard,
    Ambroise Paré, Claude Bernard, René Cassin, Robert Schuman, Simone Veil, Germaine Tillion,
    Lucie Aubrac, Olympe de Gouges, Louise Michel, George Sand, Françoise Dolto, des Frênes, des Ormes
""")

# (postcode, city) pairs.
CITIES = tuple(
    (entry[:5], entry[6:])
    for entry in _items("""
    01000 Bourg-en-Bresse, 01100 Oyonnax, 02000 Laon, 02100 Saint-Quentin, 03100 Montluçon, 03000 Moulins,
    03200 Vichy, 04000 Digne-les-Bains, 05000 Gap, 06000 Nice, 06400 Cannes, 06600 Antibes, 06500 Menton,
    07000 Privas, 07100 Annonay, 08000 Charleville-Mézières, 09000 Foix, 10000 Troyes, 11000 Carcassonne,
    11100 Narbonne, 12000 Rodez, 12100 Millau, 13001 Marseille, 13100 Aix-en-Provence, 13200 Arles,
    13500 Martigues, 13300 Salon-de-Provence, 14000 Caen, 14100 Lisieux, 14400 Bayeux, 15000 Aurillac,
    16000 Angoulême, 16100 Cognac, 17000 La Rochelle, 17100 Saintes, 17300 Rochefort, 18000 Bourges,
    18100 Vierzon, 19100 Brive-la-Gaillarde, 19000 Tulle, 20000 Ajaccio, 20200 Bastia, 21000 Dijon,
    21200 Beaune, 22000 Saint-Brieuc, 22300 Lannion, 23000 Guéret, 24000 Périgueux, 24100 Bergerac,
    25000 Besançon, 25200 Montbéliard, 26000 Valence, 26200 Montélimar, 26100 Romans-sur-Isère,
    27000 Évreux, 27200 Vernon, 28000 Chartres, 28100 Dreux, 29200 Brest, 29000 Quimper, 29600 Morlaix,
    30000 Nîmes, 30100 Alès, 31000 Toulouse, 31600 Muret, 32000 Auch, 33000 Bordeaux, 33600 Pessac,
    33700 Mérignac, 33400 Talence, 34000 Montpellier, 34500 Béziers, 34200 Sète, 35000 Rennes,
    35400 Saint-Malo, 35300 Fougères, 36000 Châteauroux, 37000 Tours, 37300 Joué-lès-Tours,
    38000 Grenoble, 38200 Vienne, 38300 Bourgoin-Jallieu, 38400 Saint-Martin-d'Hères,
    39000 Lons-le-Saunier, 39100 Dole, 40000 Mont-de-Marsan, 40100 Dax, 41000 Blois, 42000 Saint-Étienne,
    42300 Roanne, 42400 Saint-Chamond, 43000 Le Puy-en-Velay, 44000 Nantes, 44600 Saint-Nazaire,
    44400 Rezé, 45000 Orléans, 45200 Montargis, 46000 Cahors, 47000 Agen, 47300 Villeneuve-sur-Lot,
    48000 Mende, 49000 Angers, 49300 Cholet, 49400 Saumur, 50100 Cherbourg-en-Cotentin, 50000 Saint-Lô,
    51100 Reims, 51000 Châlons-en-Champagne, 51200 Épernay, 52000 Chaumont, 53000 Laval, 54000 Nancy,
    54500 Vandœuvre-lès-Nancy, 55100 Verdun, 56000 Vannes, 56100 Lorient, 57000 Metz, 57100 Thionville,
    58000 Nevers, 59000 Lille, 59100 Roubaix, 59200 Tourcoing, 59300 Valenciennes, 59140 Dunkerque,
    59500 Douai, 59400 Cambrai, 60000 Beauvais, 60200 Compiègne, 60100 Creil, 61000 Alençon, 62000 Arras,
    62100 Calais, 62200 Boulogne-sur-Mer, 62300 Lens, 62400 Béthune, 63000 Clermont-Ferrand, 63200 Riom,
    64000 Pau, 64100 Bayonne, 64200 Biarritz, 65000 Tarbes, 66000 Perpignan, 67000 Strasbourg,
    67500 Haguenau, 67600 Sélestat, 68100 Mulhouse, 68000 Colmar, 69003 Lyon, 69100 Villeurbanne,
    69200 Vénissieux, 69400 Villefranche-sur-Saône, 69500 Bron, 69600 Oullins, 69300 Caluire-et-Cuire,
    69800 Saint-Priest, 70000 Vesoul, 71000 Mâcon, 71100 Chalon-sur-Saône, 71200 Le Creusot, 72000 Le Mans,
    73000 Chambéry, 73100 Aix-les-Bains, 74000 Annecy, 74100 Annemasse, 74200 Thonon-les-Bains,
    75011 Paris, 76000 Rouen, 76600 Le Havre, 76200 Dieppe, 77000 Melun, 77100 Meaux, 77300 Fontainebleau,
    78000 Versailles, 78100 Saint-Germain-en-Laye, 78200 Mantes-la-Jolie, 79000 Niort, 80000 Amiens,
    80100 Abbeville, 81000 Albi, 81100 Castres, 82000 Montauban, 83000 Toulon, 83400 Hyères,
    83300 Draguignan, 83600 Fréjus, 84000 Avignon, 84200 Carpentras, 84100 Orange, 85000 La Roche-sur-Yon,
    85100 Les Sables-d'Olonne, 86000 Poitiers, 86100 Châtellerault, 87000 Limoges, 88000 Épinal,
    89000 Auxerre, 89100 Sens, 90000 Belfort, 91000 Évry-Courcouronnes, 91300 Massy,
    92100 Boulogne-Billancourt, 92000 Nanterre, 92200 Neuilly-sur-Seine, 92400 Courbevoie,
    93100 Montreuil, 93200 Saint-Denis, 93000 Bobigny, 93600 Aulnay-sous-Bois, 94000 Créteil,
    94400 Vitry-sur-Seine, 94300 Vincennes, 95000 Cergy, 95100 Argenteuil, 95200 Sarcelles,
    97200 Fort-de-France, 97100 Basse-Terre, 97300 Cayenne, 97400 Saint-Pierre
""")
)

COURTS_OF_APPEAL = _items("""
    Agen, Aix-en-Provence, Amiens, Angers, Bastia, Besançon, Bordeaux, Bourges, Caen, Chambéry, Colmar,
    Dijon, Douai, Grenoble, Limoges, Lyon, Metz, Montpellier, Nancy, Nîmes, Orléans, Paris, Pau, Poitiers,
    Reims, Rennes, Riom, Rouen, Toulouse, Versailles, Basse-Terre, Cayenne, Fort-de-France, Nouméa,
    Papeete, Saint-Denis de la Réunion
""")

# Seats of first-instance courts; bars are named after them, or after a département.
COURT_SEATS = _items("""
    Lyon, Villefranche-sur-Saône, Saint-Étienne, Roanne, Bourg-en-Bresse, Paris, Créteil, Bobigny,
    Nanterre, Versailles, Pontoise, Évry, Meaux, Melun, Fontainebleau, Chartres, Marseille,
    Aix-en-Provence, Toulon, Draguignan, Grasse, Nice, Tarascon, Bordeaux, Libourne, Périgueux, Bergerac,
    Angoulême, Toulouse, Montauban, Albi, Castres, Foix, Montpellier, Béziers, Perpignan, Carcassonne,
    Narbonne, Nîmes, Alès, Avignon, Carpentras, Grenoble, Vienne, Valence, Chambéry, Annecy,
    Thonon-les-Bains, Albertville, Bonneville, Dijon, Chalon-sur-Saône, Mâcon, Besançon, Belfort,
    Montbéliard, Lons-le-Saunier, Strasbourg, Colmar, Mulhouse, Saverne, Metz, Thionville, Sarreguemines,
    Nancy, Épinal, Lille, Douai, Valenciennes, Cambrai, Dunkerque, Avesnes-sur-Helpe, Arras, Béthune,
    Boulogne-sur-Mer, Saint-Omer, Amiens, Beauvais, Compiègne, Senlis, Soissons, Laon, Saint-Quentin,
    Reims, Troyes, Rouen, Le Havre, Dieppe, Évreux, Caen, Lisieux, Cherbourg, Coutances, Alençon, Rennes,
    Saint-Malo, Saint-Brieuc, Brest, Quimper, Lorient, Vannes, Nantes, Saint-Nazaire, Angers, Saumur,
    Le Mans, Laval, Tours, Blois, Orléans, Montargis, Bourges, Châteauroux, Nevers, Auxerre, Sens,
    Poitiers, Niort, La Rochelle, Saintes, Limoges, Brive-la-Gaillarde, Tulle, Guéret, Clermont-Ferrand,
    Riom, Moulins, Montluçon, Cusset, Aurillac, Le Puy-en-Velay, Pau, Bayonne, Tarbes, Mont-de-Marsan,
    Dax, Agen, Auch, Cahors, Rodez, Millau, Mende, Privas, Gap, Digne-les-Bains, Ajaccio, Bastia
""")

DEPARTEMENT_BARS = (
    ("des ", "Hauts-de-Seine"), ("de ", "Seine-Saint-Denis"), ("du ", "Val-de-Marne"), ("de l'", "Essonne"),
    ("du ", "Val-d'Oise"), ("de l'", "Ain"), ("de l'", "Ardèche"), ("du ", "Jura"), ("de la ", "Drôme"),
    ("de la ", "Savoie"), ("de la ", "Haute-Savoie"), ("de l'", "Aveyron"), ("de la ", "Creuse"),
    ("du ", "Lot"), ("de l'", "Ariège"),
)

COMPANY_CORES = _items("""
    ACTIVE, ALPES, ALTÉA, ARC-EN-CIEL, ARGOS, ATLANTIS, AURORE, AZUR, BELLEVUE, BORÉAL, CALYPSO, CAP SUD,
    CASCADE, CÈDRE, CENTAURE, CITADELLE, COLIBRI, COMÈTE, CORAIL, CRISTAL, DAUPHINÉ, DELTA, DIAMANT,
    ÉCLIPSE, ÉLAN, ÉMERAUDE, ÉQUINOXE, ESPACE, ÉTOILE, EUROPA, FAUBOURG, FLANDRE, FORUM, GALAXIE, GRANIT,
    HÉLIOS, HORIZON, IRIS, JADE, JUPITER, LES COTEAUX, LES TERRASSES, LES TROIS CHÊNES, LIBERTÉ, LUMIÈRE,
    LYS, MAGELLAN, MARINE, MÉRIDIEN, MISTRAL, MONT-BLANC, NAUTILUS, NÉO, NORD-EST, OCÉANE, OLYMPE, OMÉGA,
    ONYX, OPALE, ORION, PANORAMA, PÉGASE, PHÉNIX, PLEIN SUD, POLARIS, PRISME, PROVENCE, QUATRE SAISONS,
    RENOUVEAU, RIVAGE, ROSE DES VENTS, SAPHIR, SATURNE, SÉQUOIA, SIRIUS, SOLEIL, SOLSTICE, TERRA, TOPAZE,
    TRIANON, TRIDENT, URBAN, VAL FLEURI, VÉGA, VERSEAU, VICTOIRE, VISION, VOLCANS, ZÉPHYR, ZÉNITH,
    AQUILON, ARTÉMIS, BRETAGNE OUEST, CASTEL, CORNICHE, DOMAINE DES PINS, ESTÉREL, GAÏA, HERMINE,
    ÎLE VERTE, LAVANDE, MARQUISE, MÉLÈZE, MILLÉSIME, NACRE, OLIVERAIE, ORÉE DU BOIS, PERSPECTIVE, PINÈDE,
    PLATINE, RUBIS, SILEX, SYNERGIE, TERRE DE SIENNE, TRAMONTANE, VERMEIL, VIADUC, VOLTA, ABSOLU, ALTITUDE,
    ARCHIPEL, BASTIDE, CARAVELLE, CONFLUENCE, ESCALE, GIRONDE, MONTGOLFIÈRE, PRESQU'ÎLE
""")

INSTITUTIONS = _items("""
    BANQUE POPULAIRE AUVERGNE RHÔNE ALPES, CAISSE D'ÉPARGNE RHÔNE ALPES, CRÉDIT AGRICOLE CENTRE-EST,
    CRÉDIT LYONNAIS, BNP PARIBAS, SOCIÉTÉ GÉNÉRALE, CRÉDIT MUTUEL, BANQUE POSTALE, CIC LYONNAISE DE BANQUE,
    CAISSE PRIMAIRE D'ASSURANCE MALADIE DU RHÔNE, URSSAF RHÔNE-ALPES, MAAF ASSURANCES, MACIF,
    AXA FRANCE IARD, ALLIANZ IARD, GROUPAMA RHÔNE-ALPES AUVERGNE, MMA IARD, GENERALI IARD,
    CRÉDIT FONCIER DE FRANCE, COFIDIS, SOFINCO, FRANFINANCE, OPAC DU RHÔNE, MUTUELLE DES ARCHITECTES
    FRANÇAIS, CAISSE D'ALLOCATIONS FAMILIALES DE L'ISÈRE, CAISSE RÉGIONALE DE CRÉDIT AGRICOLE MUTUEL
    SUD RHÔNE ALPES, BANQUE RHÔNE-ALPES, SMABTP, CAISSE DE CRÉDIT MUTUEL DE VILLEURBANNE, MATMUT
""")

# ---------------------------------------------------------------------------------------------------
# Shared vocabulary (not names, not templates: the same in every split)
# ---------------------------------------------------------------------------------------------------

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
STREET_TYPES = ("rue",) * 6 + ("avenue",) * 2 + ("boulevard", "place", "chemin", "impasse", "allée", "quai",
                                                  "route", "cours", "square", "montée")
RESIDENCES = ("Les Tilleuls", "Le Parc", "Les Jardins de la Saône", "Les Hauts de Bellevue", "Le Clos Fleuri",
              "Les Terrasses du Lac", "Le Belvédère", "Les Cèdres", "Le Hameau des Pins", "Les Glycines")
LIEUDITS = ("Les Granges", "La Croix Blanche", "Le Pré Long", "Les Combes", "La Maladière", "Le Bourg",
            "Les Varennes", "La Grange Neuve")
LEGAL_FORMS = ("SARL", "SARL", "SAS", "SAS", "SA", "SCI", "EURL", "SNC", "SASU")
ACTIVITIES = _items("""
    BÂTIMENT, CONSTRUCTION, IMMOBILIER, TRANSPORTS, DISTRIBUTION, CONSEIL, RÉNOVATION, GESTION,
    INVESTISSEMENT, PROMOTION, SERVICES, AUTOMOBILES, MENUISERIE, ÉLECTRICITÉ, PLOMBERIE, CHAUFFAGE,
    TOITURE, COUVERTURE, NETTOYAGE, SÉCURITÉ, INFORMATIQUE, RESTAURATION, HABITAT, PATRIMOINE, LOGISTIQUE,
    TRAVAUX PUBLICS, ÉNERGIE, FINANCE, ASSURANCES, PAYSAGE
""")
LAW_FIRM_FORMS = ("SELARL", "SCP", "SELAS", "AARPI")
PROFESSIONS = (("retraité", "retraitée"), ("artisan", "artisane"), ("commerçant", "commerçante"),
               ("sans profession", "sans profession"), ("employé", "employée"), ("infirmier", "infirmière"),
               ("enseignant", "enseignante"), ("agriculteur", "agricultrice"), ("ouvrier", "ouvrière"),
               ("cadre", "cadre"), ("comptable", "comptable"), ("médecin", "médecin"),
               ("architecte", "architecte"), ("chauffeur routier", "chauffeur routier"),
               ("gérant de société", "gérante de société"), ("chef d'entreprise", "chef d'entreprise"),
               ("aide-soignant", "aide-soignante"), ("secrétaire", "secrétaire"), ("vendeur", "vendeuse"))
JOBS = ("technicien de maintenance", "responsable commercial", "chef de chantier", "assistante de direction",
        "préparateur de commandes", "cuisinier", "agent de sécurité", "comptable", "chauffeur-livreur",
        "attaché commercial", "directeur d'agence", "serveur")
CHAMBERS = _items("""
    1ère chambre civile A, 1ère chambre civile B, 2ème chambre, 3ème chambre A, 6ème chambre, 8ème chambre,
    Chambre sociale, Chambre sociale B, Chambre commerciale, Chambre civile, Pôle 4 - Chambre 9,
    Pôle 6 - Chambre 5, Chambre des urgences, 4ème chambre civile
""")
FIRST_INSTANCE = ("tribunal de grande instance", "tribunal de grande instance", "tribunal d'instance",
                  "tribunal de commerce", "conseil de prud'hommes", "tribunal paritaire des baux ruraux",
                  "tribunal judiciaire")
SUBHEADINGS = _items("""
    Sur la recevabilité de l'appel, Sur la demande principale, Sur la responsabilité, Sur le préjudice,
    Sur la demande reconventionnelle, Sur les frais irrépétibles et les dépens,
    Sur la demande de délais de paiement, Sur la nullité du contrat, Sur la garantie des vices cachés,
    Sur le licenciement, Sur la demande de dommages et intérêts, Sur la prescription
""")
ATTENDU_OPENERS = (
    "Attendu que", "Attendu que", "Mais attendu que", "Et attendu que", "Attendu, en outre, que",
    "Attendu, enfin, que", "Considérant que", "Mais considérant que", "Or, attendu que",
)
MODERN_OPENERS = (
    "Il résulte des pièces versées aux débats que", "En l'espèce, il est établi que",
    "Il convient de relever que", "Il est constant que", "La cour observe que",
    "Il ressort des éléments du dossier que", "Il n'est pas contesté que", "Force est de constater que",
)
CONNECTORS = (
    " ; que", " ; que", ", et que", ", de sorte que", ", alors que", ", dès lors que",
    ", ce dont il résulte que", " ; qu'en outre,", " ; qu'ainsi,", " ; qu'au surplus,",
    " ; qu'il s'ensuit que",
)
TITLES = {False: {False: "Monsieur", True: "Madame"}, True: {False: "M.", True: "Mme"}}  # [short][female]
OPERATIVE_OPENINGS = (
    "La Cour, statuant publiquement, par arrêt contradictoire et en dernier ressort,",
    "LA COUR, statuant publiquement et contradictoirement,",
    "La cour, après en avoir délibéré conformément à la loi,",
)
CLAUSE_COUNTS = (1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 6)  # clauses in one reasoning sentence

# ---------------------------------------------------------------------------------------------------
# Sentence templates (partitioned between splits). `{SLOT}` is filled by `_DocumentWriter._slot`;
# a newline in a template starts a new line (one sentence each).
# ---------------------------------------------------------------------------------------------------

TEMPLATES: dict[str, tuple[str, ...]] = {
    "party_person": (
        "{N}, né{e} le {BDATE} à {BIRTHPLACE}, {PROF}, demeurant {ADDR}",
        "{N}, né{e} le {BDATE}, de nationalité française, {PROF}, demeurant {ADDR}",
        "{N}, demeurant {ADDR}",
        "{N}, {PROF}, domicilié{e} {ADDR}",
        "{N}, né{e} le {BDATE}, demeurant et domicilié{e} {ADDR}",
        "{N}, demeurant {ADDR}, bénéficiaire d'une aide juridictionnelle totale numéro {NUMBER} du {DATE}",
        "{N}, né{e} le {BDATE}, {PROF}, demeurant actuellement {ADDR}",
        "{N}, pris{e} tant en son nom personnel qu'en sa qualité d'héritier{iere} de son père, demeurant "
        "{ADDR}",
        "{N}, né{e} le {BDATE} à {BIRTHPLACE}, sans domicile connu, ayant élu domicile {ADDR}",
        "{N}, {PROF}, demeurant {ADDR}, comparant{e} en personne",
    ),
    "party_company": (
        "{N}, société à responsabilité limitée immatriculée au registre du commerce et des sociétés de {RCS} "
        "sous le numéro {SIREN}, dont le siège social est situé {ADDR}, prise en la personne de son gérant "
        "en "
        "exercice",
        "{N}, prise en la personne de son représentant légal domicilié en cette qualité au siège social, "
        "{ADDR}",
        "{N}, dont le siège est {ADDR}, agissant poursuites et diligences de ses représentants légaux",
        "{N}, inscrite au RCS de {RCS} sous le n° {SIREN}, ayant son siège {ADDR}, représentée par son "
        "président "
        "en exercice",
        "{N}, {ADDR}, prise en la personne de son liquidateur amiable",
        "{N}, société par actions simplifiée au capital de {AMOUNT} euros, sise {ADDR}, représentée par son "
        "président",
        "{N}, venant aux droits de la société {CORE}, dont le siège social est {ADDR}",
    ),
    "lawyer": (
        "Représenté{e} par Maître {L}, avocat au {BAR}",
        "Représenté{e} par Me {L}, avocat postulant au {BAR}, et ayant pour avocat plaidant Maître {L2}, "
        "avocat "
        "au {BAR2}",
        "Représenté{e} par Maître {L} de {FIRM}, avocats au {BAR}",
        "Ayant pour avocat Maître {L}, du {BAR}, substitué{eL} à l'audience par Maître {L2}",
        "Comparant{e} en personne, assisté{e} de Maître {L}, avocat au {BAR}",
        "Représenté{e} par Maître {L}, avocat au {BAR}, toque : {TOQUE}",
        "Représenté{e} par Maître {L}, membre de {FIRM}, avocat inscrit au {BAR}",
        "Ayant pour conseil Maître {L}, avocat au {BAR}, plaidant par Maître {L2}, avocat au {BAR2}",
        "Représenté{e} par Me {L}, avocat au {BAR}, vestiaire : {TOQUE}",
        "Représenté{e} par la {FIRMNAME}, avocats au {BAR}, plaidant par Maître {L}",
    ),
    "composition": (
        "COMPOSITION DE LA COUR lors des débats et du délibéré :\n{J1}, {fJ1}\n{J2}, {fJ2}\n{J3}, {fJ3}\n"
        "Greffier lors des débats : {G}",
        "Affaire débattue en audience publique le {HDATE}, devant la cour composée de {J1}, {fJ1}, {J2}, "
        "{fJ2}, "
        "et {J3}, {fJ3}, qui en ont délibéré, assistés de {G}, {fG}.",
        "L'affaire a été débattue le {HDATE} en audience publique, les avocats ne s'y étant pas opposés, "
        "devant "
        "{J1}, {fJ1} chargé{eJ1} du rapport, qui a rendu compte des plaidoiries dans le délibéré de la cour, "
        "composée de {J1}, {fJ1}, {J2}, {fJ2}, et {J3}, {fJ3}, greffier lors des débats : {G}.",
        "DÉBATS : à l'audience publique du {HDATE}, tenue par {J2}, {fJ2}, magistrat rapporteur, sans "
        "opposition des avocats dûment avisés, qui en a rendu compte à la cour dans son délibéré, "
        "assisté{eJ2} "
        "de {G}, {fG}\nCOMPOSITION DE LA COUR LORS DU DÉLIBÉRÉ : {J1}, {fJ1}, {J2}, {fJ2}, {J3}, {fJ3}",
        "Composition de la cour lors des débats et du délibéré : {J1}, {fJ1} de chambre, {J2}, {fJ2}, et "
        "{J3}, "
        "{fJ3}, assistés lors des débats de {G}, {fG}.",
        "DÉBATS : en audience publique du {HDATE}\nCOMPOSITION : {J1}, {fJ1}, {J2}, {fJ2}, {J3}, {fJ3}\n"
        "GREFFIER : {G}, lors des débats et du prononcé",
    ),
    "delivery": (
        "ARRÊT : contradictoire, prononcé publiquement le {DDATE}, par mise à disposition de l'arrêt au "
        "greffe de "
        "la cour, les parties en ayant été préalablement avisées dans les conditions prévues au deuxième "
        "alinéa "
        "de l'article 450 du code de procédure civile, signé par {J1}, {fJ1}, et par {G}, {fG}, auquel la "
        "minute "
        "a été remise par le magistrat signataire.",
        "Arrêt rendu publiquement le {DDATE} par mise à disposition au greffe, signé par {J1}, {fJ1}, et par "
        "{G}, {fG}, présent{eG} lors du prononcé.",
        "ARRÊT : réputé contradictoire, prononcé par mise à disposition au greffe le {DDATE}, après "
        "prorogation "
        "du délibéré initialement fixé au {DATE}, les parties en ayant été avisées, et signé par {J1}, "
        "{fJ1}, "
        "et {G}, {fG}.",
        "Le délibéré a été fixé au {DDATE}, date à laquelle l'arrêt a été rendu par mise à disposition au "
        "greffe "
        "et signé par {J1}, {fJ1}, et par {G}, {fG}.",
        "ARRÊT : contradictoire, rendu publiquement le {DDATE} par {J1}, {fJ1}, en application des "
        "dispositions "
        "de l'article 452 du code de procédure civile, et signé par celui-ci ainsi que par {G}, {fG}.",
    ),
    "facts_org": (
        "Suivant offre préalable acceptée le {DATE}, {ORG} a consenti à {P1} un prêt personnel d'un montant "
        "de "
        "{AMOUNT} euros remboursable en {MONTHS} mensualités au taux effectif global de {RATE} %.",
        "Par acte sous seing privé du {DATE}, {ORG} a donné à bail à {P1} un local commercial situé {ADDR}, "
        "pour "
        "une durée de neuf années, moyennant un loyer annuel de {AMOUNT} euros hors taxes.",
        "{P1} a été engagé{e1} par {ORG} à compter du {DATE} en qualité de {JOB}, suivant contrat de travail "
        "à "
        "durée indéterminée, moyennant une rémunération mensuelle brute de {AMOUNT} euros.",
        "Suivant devis accepté le {DATE}, {P1} a confié à {ORG} la réalisation de travaux de rénovation de "
        "sa "
        "maison d'habitation située {ADDR}, pour un montant total de {AMOUNT} euros TTC.",
        "Le {DATE}, {P1} a acquis auprès de {ORG} un véhicule d'occasion de marque Peugeot, modèle 308, pour "
        "le "
        "prix de {AMOUNT} euros, le kilométrage affiché au compteur étant de {KM} kilomètres.",
        "Par acte authentique du {DATE}, {P1} a vendu à {ORG} un immeuble à usage d'habitation situé {ADDR}, "
        "moyennant le prix de {AMOUNT} euros payé comptant.",
        "{ORG}, assureur de {P1} au titre d'un contrat multirisques habitation souscrit le {DATE}, a refusé "
        "de "
        "prendre en charge le sinistre déclaré le {DATE} au motif que les conditions de la garantie "
        "n'étaient "
        "pas réunies.",
        "Par contrat du {DATE}, {ORG} a confié à {P1} la gérance de son fonds de commerce de restauration "
        "exploité {ADDR}.",
        "Selon acte du {DATE}, {P2} s'est porté{e2} caution solidaire, dans la limite de {AMOUNT} euros, du "
        "prêt "
        "consenti par {ORG} à {P1} pour l'acquisition d'un fonds de commerce.",
        "{ORG} a fait réaliser par {P1}, suivant marché de travaux signé le {DATE}, l'extension d'un "
        "bâtiment "
        "à usage d'entrepôt situé {ADDR}.",
    ),
    "facts": (
        "Se plaignant de désordres affectant la toiture et les menuiseries extérieures, {P1} a sollicité en "
        "référé "
        "la désignation d'un expert judiciaire, lequel a déposé son rapport le {DATE}.",
        "Par courrier recommandé avec avis de réception du {DATE}, {P1} a mis en demeure {P2} de lui régler "
        "la "
        "somme de {AMOUNT} euros dans un délai de quinze jours.",
        "{P2} n'ayant pas déféré à cette mise en demeure, {P1} l'a fait assigner devant le {COURT1} par acte "
        "d'huissier du {DATE}.",
        "Par acte du {DATE}, {P1} a fait assigner {P2} devant le {COURT1} aux fins d'obtenir, au visa des "
        "articles 1103 et suivants du code civil, sa condamnation au paiement de la somme de {AMOUNT} euros.",
        "Le {DATE}, {P2} a été licencié{e2} pour faute grave, l'employeur lui reprochant notamment des "
        "absences "
        "injustifiées et un comportement agressif envers ses collègues.",
        "Les parties ont vécu ensemble de {YEAR} à {YEAR2} dans un appartement situé {ADDR}, dont {P1} était "
        "seul{e1} titulaire du bail.",
        "Des échéances étant demeurées impayées, {ORG} a prononcé la déchéance du terme par lettre "
        "recommandée du "
        "{DATE}.",
        "{P1} expose que, dès son entrée dans les lieux, {il1} a constaté des infiltrations d'eau "
        "importantes dans "
        "la chambre et la salle de bains, qu'{il1} a signalées à plusieurs reprises au bailleur.",
        "Un état des lieux de sortie a été établi contradictoirement le {DATE}, faisant apparaître de "
        "nombreuses "
        "dégradations dont le coût de remise en état a été chiffré à {AMOUNT} euros.",
        "Une tentative de conciliation s'est tenue le {DATE} et s'est soldée par un procès-verbal de "
        "non-conciliation.",
        "Le {DATE}, {P2} a notifié à {P1} la résiliation du contrat avec effet immédiat, en invoquant des "
        "manquements répétés à ses obligations contractuelles.",
        "Un commandement de payer visant la clause résolutoire a été délivré à {P2} le {DATE} pour un "
        "montant "
        "de {AMOUNT} euros au titre des loyers et charges impayés.",
        "{P1} a saisi le {COURT1} le {DATE} afin de voir juger que la rupture de son contrat de travail "
        "s'analysait en un licenciement sans cause réelle et sérieuse.",
        "Les travaux ont été réceptionnés avec réserves le {DATE}, certaines de ces réserves n'ayant jamais "
        "été "
        "levées malgré les relances adressées par {P1}.",
        "Aucun règlement n'étant intervenu, {ORG} a fait procéder le {DATE} à une saisie-attribution sur les "
        "comptes bancaires de {P2}.",
        "Le {DATE}, un incendie s'est déclaré dans l'appartement occupé par {P2}, endommageant gravement les "
        "parties communes de l'immeuble.",
        "{P1} a été victime le {DATE} d'un accident de la circulation impliquant un véhicule assuré auprès "
        "de {ORG}.",
        "Par avenant du {DATE}, les parties ont convenu de porter le loyer mensuel à la somme de {AMOUNT} "
        "euros, charges comprises.",
        "Le {DATE}, {P1} a adressé à {P2} une facture d'un montant de {AMOUNT} euros, demeurée impayée "
        "malgré plusieurs relances.",
        "Estimant que le prix de vente avait été sous-évalué, {P1} a sollicité l'annulation de la cession "
        "intervenue le {DATE}.",
    ),
    "judgment": (
        "Par jugement du {JDATE}, le {COURT1} a condamné {P2} à payer à {P1} la somme de {AMOUNT} euros à "
        "titre de "
        "dommages et intérêts, débouté les parties du surplus de leurs demandes et condamné {P2} aux dépens.",
        "Par jugement rendu le {JDATE}, le {COURT1} a débouté {P1} de l'ensemble de ses demandes et l'a "
        "condamné{e1} à payer à {P2} la somme de {AMOUNT} euros sur le fondement de l'article 700 du code de "
        "procédure civile.",
        "Par jugement contradictoire en date du {JDATE}, auquel il est expressément renvoyé pour un plus "
        "ample "
        "exposé des faits et de la procédure, le {COURT1} a rejeté la demande de {P1} et laissé à chaque "
        "partie "
        "la charge de ses propres dépens.",
        "Le {COURT1}, par jugement du {JDATE}, a prononcé la résolution du contrat aux torts de {P2}, "
        "ordonné la "
        "restitution du prix et condamné {P2} au paiement d'une indemnité de {AMOUNT} euros.",
        "Par décision du {JDATE}, le {COURT1} a dit que le licenciement de {P1} était dépourvu de cause "
        "réelle et "
        "sérieuse et condamné {P2} à lui verser la somme de {AMOUNT} euros à titre d'indemnité.",
        "Par jugement réputé contradictoire du {JDATE}, le {COURT1} a constaté l'acquisition de la clause "
        "résolutoire, ordonné l'expulsion de {P2} et fixé l'indemnité d'occupation à {AMOUNT} euros par "
        "mois.",
    ),
    "appeal": (
        "{P1} a interjeté appel de ce jugement par déclaration reçue au greffe le {ADATE}.",
        "Par déclaration du {ADATE}, {P1} a relevé appel de cette décision en toutes ses dispositions.",
        "{P1} a formé appel le {ADATE}, en intimant {P2}.",
        "Suivant déclaration enregistrée au greffe de la cour le {ADATE}, {P1} a interjeté appel du "
        "jugement, "
        "l'appel portant sur l'ensemble des chefs du dispositif.",
        "Appel a été interjeté par {P1} selon déclaration du {ADATE}, la procédure ayant été orientée vers "
        "la "
        "mise en état.",
    ),
    "conclusions": (
        "Aux termes de ses dernières conclusions notifiées le {DATE}, {P1} demande à la cour d'infirmer le "
        "jugement déféré en toutes ses dispositions et, statuant à nouveau, de condamner {P2} à lui payer la "
        "somme "
        "de {AMOUNT} euros à titre de dommages et intérêts, outre la somme de {AMOUNT} euros au titre de "
        "l'article 700 du code de procédure civile, ainsi qu'aux entiers dépens de première instance et "
        "d'appel.",
        "Dans ses conclusions récapitulatives du {DATE}, {P2} sollicite la confirmation du jugement en "
        "toutes ses "
        "dispositions et la condamnation de {P1} à lui verser une indemnité de {AMOUNT} euros pour procédure "
        "abusive.",
        "{P2}, intimé{e2}, conclut au débouté de l'ensemble des demandes formées à son encontre et réclame, "
        "à "
        "titre reconventionnel, le paiement de la somme de {AMOUNT} euros.",
        "Par conclusions notifiées par voie électronique le {DATE}, {P1} fait valoir que le premier juge a "
        "inexactement apprécié la portée des pièces produites et que sa demande est parfaitement fondée.",
        "{P2} n'a pas constitué avocat, la déclaration d'appel et les conclusions de l'appelant lui ayant "
        "été "
        "signifiées par acte d'huissier du {DATE} remis à étude.",
        "Pour un plus ample exposé des moyens et prétentions des parties, il est expressément renvoyé, en "
        "application de l'article 455 du code de procédure civile, à leurs dernières conclusions du {DATE} "
        "et "
        "du {DATE}.",
        "{P1}, appelant{e1}, soutient que le premier juge a méconnu les dispositions de l'article 1104 du "
        "code civil et sollicite la réformation du jugement en toutes ses dispositions.",
        "En réponse, {P2} fait valoir que l'appel est mal fondé et demande à la cour de condamner {P1} au "
        "paiement d'une somme de {AMOUNT} euros au titre de l'article 700 du code de procédure civile.",
        "{ORG}, intervenant volontairement à l'instance, s'associe aux demandes de {P2} et sollicite en "
        "outre la condamnation de {P1} aux entiers dépens.",
        "Par conclusions d'intimé notifiées le {DATE}, {P2} forme appel incident et demande que le montant "
        "des dommages et intérêts alloués soit porté à la somme de {AMOUNT} euros.",
        "Les parties ont été invitées à présenter leurs observations sur le moyen relevé d'office tiré de "
        "l'irrecevabilité des demandes nouvelles en cause d'appel.",
    ),
    "closure": (
        "L'ordonnance de clôture a été rendue le {CDATE}.",
        "La clôture de l'instruction a été prononcée le {CDATE} et l'affaire fixée à l'audience du {HDATE}.",
        "L'instruction a été clôturée par ordonnance du {CDATE}.",
        "La procédure a été clôturée le {CDATE}, l'affaire étant appelée à l'audience de plaidoiries du "
        "{HDATE}.",
        "Par ordonnance du {CDATE}, le conseiller de la mise en état a prononcé la clôture de la procédure.",
    ),
    "clause": (
        "{P1} soutient que le contrat conclu le {DATE} est entaché de nullité pour dol, son consentement "
        "ayant été "
        "vicié par des manœuvres destinées à lui dissimuler l'état réel de l'immeuble",
        "il résulte du rapport d'expertise déposé le {DATE} que les désordres affectant la toiture de "
        "l'immeuble "
        "étaient connus du vendeur avant la signature de l'acte authentique",
        "le premier juge a exactement relevé que la clause pénale stipulée au contrat présentait un "
        "caractère "
        "manifestement excessif au regard du préjudice réellement subi par le créancier",
        "{P2} ne rapporte pas la preuve, qui lui incombe en application de l'article 1353 du code civil, du "
        "paiement des sommes qu'{il2} prétend avoir réglées entre les mains de {P1}",
        "aux termes de l'article 1231-1 du code civil, le débiteur est condamné, s'il y a lieu, au paiement "
        "de "
        "dommages et intérêts soit à raison de l'inexécution de l'obligation, soit à raison du retard dans "
        "l'exécution",
        "les attestations produites par {P1}, établies par des proches dont l'impartialité ne peut être "
        "garantie, "
        "ne sont corroborées par aucun élément objectif et ne sauraient dès lors emporter la conviction de "
        "la cour",
        "{ORG} justifie avoir adressé à {P2} une mise en demeure préalable par lettre recommandée du {DATE}, "
        "demeurée sans effet, de sorte que la déchéance du terme a été régulièrement prononcée",
        "le bailleur est obligé, par la nature du contrat et sans qu'il soit besoin d'aucune stipulation "
        "particulière, de délivrer au preneur un logement décent et d'en assurer la jouissance paisible "
        "pendant "
        "la durée du bail",
        "les infiltrations constatées dans l'appartement situé {ADDR} trouvent leur origine dans un défaut "
        "d'étanchéité de la terrasse, partie commune dont l'entretien incombe au syndicat des "
        "copropriétaires",
        "l'employeur, tenu d'une obligation de sécurité envers ses salariés, ne justifie pas avoir pris les "
        "mesures nécessaires pour prévenir les faits de harcèlement dénoncés par {P1} dès le {DATE}",
        "la lettre de licenciement, qui fixe les limites du litige, reproche au salarié des absences "
        "répétées et "
        "injustifiées ainsi qu'un comportement déloyal à l'égard de sa hiérarchie",
        "le délai de prescription de l'action n'a commencé à courir qu'à compter du jour où {P1} a connu ou "
        "aurait "
        "dû connaître les faits lui permettant de l'exercer, soit au plus tôt le {DATE}",
        "le juge ne peut dénaturer les termes clairs et précis des écrits qui lui sont soumis, ni ajouter au "
        "contrat des conditions que les parties n'ont pas entendu y stipuler",
        "{P2} fait valoir, sans être utilement contredit{e2}, que les travaux ont été réceptionnés sans "
        "réserve le "
        "{DATE} et que les désordres invoqués étaient apparents à cette date",
        "la garantie des vices cachés suppose que soit rapportée la preuve d'un vice antérieur à la vente, "
        "non "
        "apparent lors de celle-ci et rendant la chose impropre à l'usage auquel on la destine",
        "en application de l'article 9 du code de procédure civile, il incombe à chaque partie de prouver "
        "conformément à la loi les faits nécessaires au succès de sa prétention",
        "le montant des sommes réclamées est justifié par le décompte arrêté au {DATE}, l'historique du "
        "compte et "
        "le tableau d'amortissement versés aux débats, dont {P2} ne discute pas utilement les énonciations",
        "le jugement doit être confirmé en ce qu'il a alloué à {P1} la somme de {AMOUNT} euros en réparation "
        "de "
        "son préjudice moral, lequel a été justement apprécié par le premier juge",
        "l'équité commande d'allouer à {P1} une indemnité de {AMOUNT} euros au titre des frais irrépétibles "
        "exposés en cause d'appel",
        "{P2}, qui succombe en son appel, supportera la charge des dépens d'appel et sera débouté{e2} de sa "
        "demande fondée sur l'article 700 du code de procédure civile",
        "{ORG} ne conteste pas avoir perçu les fonds versés par {P1} le {DATE}, mais soutient que ceux-ci "
        "correspondaient au règlement d'une facture antérieure restée impayée",
        "la responsabilité du notaire rédacteur de l'acte ne saurait être retenue dès lors que celui-ci "
        "n'était "
        "pas tenu de vérifier l'exactitude des déclarations faites par les parties",
        "les pièces médicales produites, et notamment le certificat établi le {DATE} par le médecin "
        "traitant, "
        "établissent la réalité de l'incapacité temporaire de travail subie par {P1}",
        "l'acte de cautionnement ne comportait pas la mention manuscrite exigée par les dispositions alors "
        "applicables du code de la consommation, de sorte que l'engagement souscrit par {P2} le {DATE} est "
        "nul",
        "la banque, tenue d'un devoir de mise en garde à l'égard de l'emprunteur non averti, ne démontre pas "
        "avoir "
        "vérifié les capacités financières de {P1} lors de l'octroi du crédit",
        "{P2} occupe les lieux situés {ADDR} sans droit ni titre depuis la résiliation du bail et reste "
        "redevable "
        "d'une indemnité d'occupation égale au montant du loyer contractuel",
        "le constat d'huissier dressé le {DATE} à la requête de {P1} établit la présence de fissures "
        "importantes "
        "sur les murs porteurs ainsi que l'affaissement partiel du dallage du garage",
        "aucune faute de nature à exonérer, même partiellement, le gardien de la chose de sa responsabilité "
        "ne "
        "peut être reprochée à la victime",
        "la demande de délais de paiement ne peut prospérer, {P2} ne justifiant ni de sa situation "
        "financière "
        "actuelle ni de sa capacité à apurer la dette dans le délai de vingt-quatre mois prévu par l'article "
        "1343-5 du code civil",
        "il n'est pas démontré que {P2} ait eu connaissance, au moment de la cession, de la procédure "
        "collective "
        "ouverte à l'encontre de {ORG} par jugement du {COURT1} en date du {DATE}",
        "le rapport d'expertise, dont les conclusions ne sont pas sérieusement critiquées, chiffre le coût "
        "des "
        "travaux de reprise à la somme de {AMOUNT} euros toutes taxes comprises",
        "l'article 1240 du code civil dispose que tout fait quelconque de l'homme, qui cause à autrui un "
        "dommage, oblige celui par la faute duquel il est arrivé à le réparer",
        "les premiers juges ont fait une exacte appréciation des éléments de la cause en retenant que {P1} "
        "avait "
        "commis une faute en s'abstenant de déclarer le sinistre dans le délai contractuel",
        "les échanges de courriels intervenus entre {P1} et {P2} au cours du mois de {MONTH} {YEAR} "
        "démontrent "
        "que les parties s'étaient accordées sur la chose et sur le prix",
        "par courrier officiel du {DATE}, le conseil de {P2}, Maître {LA2}, a indiqué accepter le principe "
        "d'une "
        "indemnisation amiable sans toutefois formuler aucune proposition chiffrée",
        "la faute grave est celle qui rend impossible le maintien du salarié dans l'entreprise et dont la "
        "preuve "
        "incombe exclusivement à l'employeur",
        "l'appelant{e1} ne produit en cause d'appel aucune pièce nouvelle de nature à remettre en cause "
        "l'appréciation pertinente des premiers juges, que la cour adopte",
        "la clause résolutoire insérée au bail a été régulièrement mise en œuvre par un commandement de "
        "payer "
        "délivré le {DATE}, demeuré infructueux pendant plus de deux mois",
        "les sommes versées par {P1} au titre de la participation aux charges de copropriété ne sauraient "
        "être "
        "regardées comme une reconnaissance de dette",
        "l'assureur ne peut opposer à la victime les exceptions tirées du contrat, dès lors que la "
        "déclaration de "
        "sinistre a été effectuée le {DATE}, dans le délai prévu par la police souscrite auprès de {ORG}",
        "{P1} verse aux débats les bulletins de salaire, les relevés d'heures et les plannings établis par "
        "l'employeur, lesquels font apparaître l'accomplissement d'heures supplémentaires non rémunérées",
        "la circonstance que {P2} ait quitté le domicile situé {ADDR} au cours de l'année {YEAR} est sans "
        "incidence sur la solution du litige",
        "le tribunal a justement retenu que le véhicule présentait, dès la vente, un défaut de la boîte de "
        "vitesses le rendant impropre à la circulation, ainsi que l'a constaté l'expert",
        "les conditions d'application de l'article 700 du code de procédure civile sont réunies au profit de "
        "l'intimé{e2}, qui a dû exposer des frais pour assurer sa défense en cause d'appel",
        "le jugement rendu par le {COURT1} le {JDATE} n'a pas autorité de la chose jugée à l'égard de {ORG}, "
        "qui "
        "n'était ni partie ni représentée à cette instance",
        "la preuve d'un accord des parties sur le montant du loyer révisé n'est pas rapportée, le courrier "
        "du "
        "{DATE} invoqué par {P1} n'ayant jamais été contresigné par le preneur",
        "la cour ne peut que constater que {P2} n'a pas comparu devant le premier juge, bien que "
        "régulièrement "
        "convoqué{e2} à son domicile situé {ADDR}",
        "l'indemnité due au titre du préjudice de jouissance sera fixée à la somme de {AMOUNT} euros, compte "
        "tenu "
        "de la durée des troubles et de la surface des pièces concernées",
        "le conseiller de la mise en état a, par ordonnance du {DATE}, rejeté l'exception de procédure "
        "soulevée "
        "par {P2}, cette ordonnance n'ayant pas été déférée à la cour",
        "{P1} invoque vainement les dispositions de l'article L. 218-2 du code de la consommation, la "
        "créance "
        "litigieuse étant née de l'activité professionnelle de {ORG}",
        "il appartient au juge de rechercher la commune intention des parties plutôt que de s'arrêter au "
        "sens "
        "littéral des termes du contrat",
        "les relevés bancaires produits font apparaître des virements réguliers au profit de {P2} entre le "
        "{DATE} "
        "et le {DATE}, pour un montant total de {AMOUNT} euros",
        "{P1} a été hospitalisé{e1} du {DATE} au {DATE}, et l'expert a fixé la date de consolidation de son "
        "état "
        "de santé au {DATE}",
        "en vertu de l'article 1792 du code civil, tout constructeur d'un ouvrage est responsable de plein "
        "droit "
        "envers le maître de l'ouvrage des dommages qui en compromettent la solidité",
        "{ORG} a manqué à son obligation de conseil en ne mettant pas en garde {P1} sur l'inadaptation du "
        "matériel commandé aux besoins de son exploitation",
        "le contrat de bail stipulait expressément que les travaux de mise en conformité de l'installation "
        "électrique resteraient à la charge exclusive du preneur, qui l'a accepté en toute connaissance de "
        "cause",
        "{P1} ne justifie d'aucun préjudice distinct de celui résultant du retard de paiement, déjà réparé "
        "par les intérêts moratoires au taux légal",
        "la prescription biennale prévue par l'article L. 114-1 du code des assurances a été interrompue par "
        "la désignation de l'expert judiciaire, intervenue par ordonnance du {DATE}",
        "l'expert a relevé que les fissures affectant la façade de l'immeuble situé {ADDR} étaient "
        "évolutives et compromettaient à terme la solidité de l'ouvrage",
        "{P2} ne saurait utilement soutenir qu'{il2} ignorait l'existence de la servitude de passage, dès "
        "lors que celle-ci était expressément mentionnée dans l'acte de vente",
        "le salarié a été convoqué à un entretien préalable fixé au {DATE} par une lettre remise en main "
        "propre, la procédure de licenciement ayant ainsi été régulièrement suivie",
        "les témoignages concordants de plusieurs collègues de travail établissent que {P1} a fait l'objet "
        "de propos humiliants de la part de son supérieur hiérarchique à de nombreuses reprises",
        "la rupture brutale d'une relation commerciale établie engage la responsabilité de son auteur "
        "lorsque le préavis accordé est insuffisant au regard de la durée de la relation",
        "le caractère abusif de la procédure n'est pas démontré, l'exercice d'une action en justice "
        "constituant un droit qui ne dégénère en abus qu'en cas de malice ou d'erreur grossière équipollente "
        "au dol",
        "{ORG} a produit l'historique complet des paiements, duquel il ressort que la première échéance "
        "impayée non régularisée date du {DATE}",
        "la valeur locative du bien a été fixée par l'expert à la somme de {AMOUNT} euros par an, sur la "
        "base de références de locaux comparables situés dans le même secteur",
        "les parties s'accordent à reconnaître que les clés du local ont été restituées le {DATE}, date à "
        "laquelle le bail a pris fin",
        "le véhicule a été immobilisé dans les locaux du garage exploité par {ORG} du {DATE} au {DATE}, sans "
        "qu'aucune réparation n'y soit effectuée",
        "{P1} justifie par la production de ses avis d'imposition et de ses relevés de compte d'une "
        "situation financière précaire qui ne lui permet pas de s'acquitter de sa dette en une seule fois",
        "la date de la signature de l'acte ne figure pas sur l'exemplaire remis à l'emprunteur, ce qui prive "
        "ce dernier de la possibilité de vérifier le respect du délai de réflexion",
        "la demande d'expertise formée pour la première fois en cause d'appel ne présente aucune utilité "
        "pour la solution du litige, la cour disposant d'éléments suffisants pour statuer",
        "{P2} ne démontre pas que le retard de livraison du chantier serait imputable aux intempéries ou à "
        "une cause étrangère présentant les caractères de la force majeure",
        "il est établi par le procès-verbal de constat dressé le {DATE} que le portail automatique installé "
        "par {ORG} ne fonctionnait plus quelques semaines après sa mise en service",
        "la pension alimentaire mise à la charge de {P2} doit être fixée en considération des ressources de "
        "chacun des parents et des besoins de l'enfant",
        "les frais de scolarité et d'activités extrascolaires de l'enfant seront partagés par moitié entre "
        "les parents, sur présentation des justificatifs",
        "aucun élément ne permet de retenir que {P1} aurait renoncé, de manière claire et non équivoque, au "
        "bénéfice de la clause de non-concurrence stipulée à son contrat de travail",
        "la convention de forfait en jours conclue avec {P1} est privée d'effet, l'employeur ne justifiant "
        "pas avoir assuré le suivi régulier de sa charge de travail",
        "l'indemnité compensatrice de préavis doit être calculée sur la base de la rémunération brute que le "
        "salarié aurait perçue s'il avait travaillé pendant cette période",
        "le dépôt de garantie versé lors de l'entrée dans les lieux, soit la somme de {AMOUNT} euros, doit "
        "venir en déduction des sommes dues par le locataire",
        "{P2} a reconnu, dans un courrier adressé à {P1} le {DATE}, être redevable de la somme réclamée, de "
        "sorte que sa contestation tardive est dépourvue de toute portée",
        "l'immeuble situé {ADDR} a été vendu le {DATE} pour un prix très inférieur à l'estimation réalisée "
        "par l'agence immobilière mandatée par les vendeurs",
        "la preuve de la remise des fonds ne suffit pas à justifier l'obligation de celui qui les a reçus de "
        "les restituer",
        "{ORG} ne pouvait ignorer, en sa qualité de professionnel de l'immobilier, les nuisances sonores "
        "générées par l'activité du bar situé au rez-de-chaussée de l'immeuble",
        "le liquidateur judiciaire de {ORG} n'a pas été appelé en la cause, de sorte qu'aucune condamnation "
        "ne peut être prononcée à l'encontre de cette société",
        "les désordres relevés par l'expert, qui affectent l'étanchéité de la toiture, rendent l'ouvrage "
        "impropre à sa destination et relèvent en conséquence de la garantie décennale",
    ),
    "conclusion": (
        "Le jugement sera confirmé sur ce point.",
        "Il convient en conséquence d'infirmer le jugement de ce chef.",
        "Cette demande sera rejetée.",
        "Il y a lieu de faire droit à la demande, dans la limite de la somme de {AMOUNT} euros.",
        "Le moyen n'est pas fondé.",
        "La décision déférée sera donc réformée en ce sens.",
        "La demande de {P1} sera en conséquence accueillie.",
        "{P2} sera débouté{e2} de ce chef de demande.",
        "Le jugement sera infirmé de ce chef.",
        "Il sera fait droit à cette demande.",
        "La demande de {P2} sera en conséquence rejetée.",
        "Cette demande, qui n'est pas justifiée, sera écartée.",
        "Le jugement mérite d'être confirmé sur ce point.",
        "Il n'y a pas lieu d'ordonner une mesure d'expertise.",
        "La créance de {ORG} sera fixée à la somme de {AMOUNT} euros.",
        "Il convient de réduire l'indemnité à la somme de {AMOUNT} euros.",
        "Le jugement déféré sera donc confirmé en toutes ses dispositions.",
        "Ce moyen sera écarté.",
        "Le préjudice de {P1} sera réparé par l'allocation d'une somme de {AMOUNT} euros.",
        "Les demandes de {P2} à ce titre seront donc rejetées.",
    ),
    "dispositif": (
        "Confirme le jugement déféré en toutes ses dispositions ;",
        "Infirme le jugement en ce qu'il a débouté {P1} de sa demande de dommages et intérêts, et statuant à "
        "nouveau de ce chef, condamne {P2} à payer à {P1} la somme de {AMOUNT} euros, avec intérêts au taux "
        "légal à compter du présent arrêt ;",
        "Condamne {P2} à payer à {P1} la somme de {AMOUNT} euros sur le fondement de l'article 700 du code "
        "de "
        "procédure civile ;",
        "Condamne {P2} aux dépens d'appel, avec droit de recouvrement direct au profit de Maître {LA1}, "
        "avocat, "
        "conformément aux dispositions de l'article 699 du code de procédure civile ;",
        "Déboute les parties de toutes leurs autres demandes, plus amples ou contraires ;",
        "Dit n'y avoir lieu à application de l'article 700 du code de procédure civile en cause d'appel ;",
        "Ordonne la capitalisation des intérêts dus pour une année entière conformément à l'article 1343-2 "
        "du "
        "code civil ;",
        "Déclare irrecevable la demande nouvelle formée en cause d'appel par {P2} ;",
        "Ordonne l'expulsion de {P2} et de tous occupants de son chef des lieux situés {ADDR}, avec le "
        "concours "
        "de la force publique si besoin est ;",
        "Rejette la demande de délais de paiement présentée par {P2} ;",
    ),
    "address": (
        "{NUM} {STREET} {CP} {CITY}",
        "{NUM}, {STREET} - {CP} {CITY}",
        "{NUM} {STREET}, {CP} {CITY}",
        "{NUM} bis {STREET} {CP} {CITY}",
        "Résidence {RESIDENCE}, {NUM} {STREET} {CP} {CITY}",
        "Lieudit {LIEUDIT} {CP} {CITY}",
        "{NUM} {STREET}, bâtiment {LETTER}, appartement {APT}, {CP} {CITY}",
        "{NUM} ter {STREET} à {CITY} ({CP})",
        "{NUM}, {STREET} {CP} {CITY} CEDEX",
        "{NUM} {STREET} - {CP} {CITY}",
    ),
}


def _pool(items: Sequence[T], split: str) -> tuple[T, ...]:
    """The entries of `items` that `split` may use: every fifth entry for `test`, the others otherwise."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    return tuple(item for i, item in enumerate(items) if (i % 5 == 4) == (split == "test"))


@dataclass(frozen=True)
class _Pools:
    """The name lists and templates one split may draw from."""

    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]
    common_nouns: tuple[str, ...]
    streets: tuple[str, ...]
    cities: tuple[tuple[str, str], ...]
    courts: tuple[str, ...]
    seats: tuple[str, ...]
    departement_bars: tuple[tuple[str, str], ...]
    cores: tuple[str, ...]
    institutions: tuple[str, ...]
    templates: dict[str, tuple[int, ...]]  # kind -> indices into TEMPLATES[kind]

    @classmethod
    def for_split(cls, split: str) -> _Pools:
        return cls(
            _pool(MALE_FIRST_NAMES, split), _pool(FEMALE_FIRST_NAMES, split), _pool(SURNAMES, split),
            _pool(COMMON_NOUN_SURNAMES, split), _pool(STREET_NAMES, split), _pool(CITIES, split),
            _pool(COURTS_OF_APPEAL, split), _pool(COURT_SEATS, split), _pool(DEPARTEMENT_BARS, split),
            _pool(COMPANY_CORES, split), _pool(INSTITUTIONS, split),
            {kind: _pool(range(len(items)), split) for kind, items in TEMPLATES.items()},
        )


# ---------------------------------------------------------------------------------------------------
# Public data types
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entity:
    """A labelled character span `text[start:end]` of a document."""

    start: int
    end: int
    label: str


@dataclass
class Document:
    """A generated decision: its text, entities and sentence spans (character offsets into `text`).

    `templates` names the templates used (`kind:index`), so tests can check the split partition.
    """

    id: str
    text: str
    entities: list[Entity]
    sentences: list[tuple[int, int]]
    templates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Variants:
    """Rates (0..1) of the harder surface forms mixed into generated documents.

    Attributes:
        no_title: a person mention loses its "M."/"Mme"/"Monsieur"/"Madame".
        lowercase_names: a person name (party, lawyer, judge) is written in lower case.
        merged_words: a sentence loses one space between two words.
        name_as_company: a document's company is named after one of its parties' surname.
        common_noun_names: a surname is drawn from surnames that are common nouns ("Boulanger").
        typos: a sentence gets one letter swapped, dropped or doubled.
    """

    no_title: float = 0.0
    lowercase_names: float = 0.0
    merged_words: float = 0.0
    name_as_company: float = 0.0
    common_noun_names: float = 0.0
    typos: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            rate = getattr(self, f.name)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"Variants.{f.name} must be a rate in [0, 1], got {rate!r}")


# ---------------------------------------------------------------------------------------------------
# Rendering a document
# ---------------------------------------------------------------------------------------------------

Part = tuple[str, str | None]  # (text, label): label None for plain text, _TITLE for a droppable title
_TITLE = "_TITLE"
_SLOT = re.compile(r"\{(\w+)\}")
_MERGEABLE_SPACE = re.compile(r"(?<=\w) (?=\w)")
_TYPO_WORD = re.compile(r"[^\W\d_]{4,}")
_VOWELS = "aeiouéèêàâîôûh"


@dataclass(frozen=True)
class _Person:
    first: str
    surname: str
    female: bool


@dataclass(frozen=True)
class _Party:
    """One side of the case: a person or a company, with its address and its lawyers."""

    person: _Person | None
    company: str | None
    address: str
    lawyer: _Person
    lawyer2: _Person
    bar: str
    bar2: str
    firm: str

    @property
    def female(self) -> bool:
        return self.person is None or self.person.female  # "la société" is feminine


def _elide(word: str, following: str) -> str:
    """`que` becomes `qu'` before a vowel."""
    return word[:-1] + "'" if word.endswith("que") and following[:1].lower() in _VOWELS else word


def _with_de(name: str) -> str:
    """"de Lyon", "d'Agen", "du Mans", "des Sables-d'Olonne"."""
    if name.lower().startswith("le "):
        return "du " + name[3:]
    if name.lower().startswith("les "):
        return "des " + name[4:]
    return ("d'" if name[:1].lower() in _VOWELS else "de ") + name


def _article(company: str) -> str:
    """"la " or "l'" before a company name (feminine, as "la société")."""
    return "l'" if company[:1].lower() in _VOWELS else "la "


class _DocumentWriter:
    """Builds one document: draws its cast, renders its sections, applies variants, computes offsets."""

    def __init__(self, doc_id: str, rng: random.Random, vrng: random.Random, variants: Variants,
                 pools: _Pools) -> None:
        self.id = doc_id
        self.rng = rng  # draws the content, so the variants never change what is said
        self.vrng = vrng  # draws the variants only
        self.variants = variants
        self.pools = pools
        self.paragraphs: list[list[list[Part]]] = []
        self.templates: list[str] = []
        self._decks: dict[str, list[int]] = {}
        self._draw_style()
        self._draw_cast()

    # -- drawing ----------------------------------------------------------------------------------

    def _draw_style(self) -> None:
        rng = self.rng
        self.upper_surnames = rng.random() < 0.8
        self.upper_bars = rng.random() < 0.7
        self.short_titles = rng.random() < 0.4
        self.attendu = rng.random() < 0.6
        self.capital_courts = rng.random() < 0.3
        self.decision = date(2015, 1, 1) + timedelta(days=rng.randrange(6 * 365))
        self.hearing = self.decision - timedelta(days=rng.randint(20, 120))
        self.closure = self.hearing - timedelta(days=rng.randint(7, 60))
        self.appeal = self.closure - timedelta(days=rng.randint(90, 500))
        self.judgment = self.appeal - timedelta(days=rng.randint(10, 60))

    def _person(self, female: bool | None = None) -> _Person:
        rng, pools = self.rng, self.pools
        if female is None:
            female = rng.random() < 0.5
        first = rng.choice(pools.female if female else pools.male)
        surname = rng.choice(pools.surnames)
        if self.vrng.random() < self.variants.common_noun_names:
            surname = self.vrng.choice(pools.common_nouns)
        return _Person(first, surname, female)

    def _company(self) -> str:
        rng, pools = self.rng, self.pools
        form = rng.choice(LEGAL_FORMS)
        roll = rng.random()
        if roll < 0.15:
            return rng.choice(pools.institutions)
        if roll < 0.45:
            name = f"{rng.choice(pools.surnames).upper()} {rng.choice(ACTIVITIES)}"
        elif roll < 0.55:
            name = f"{rng.choice(pools.surnames).upper()} ET FILS"
        elif roll < 0.8:
            name = rng.choice(pools.cores)
        else:
            name = f"{rng.choice(pools.cores)} {rng.choice(ACTIVITIES)}"
        return f"{form} {name}"

    def _bar(self) -> str:
        rng = self.rng
        if rng.random() < 0.15:
            preposition, name = rng.choice(self.pools.departement_bars)
            return f"barreau {preposition}{name.upper() if self.upper_bars else name}"
        seat = rng.choice(self.pools.seats)
        return "barreau " + _with_de(seat.upper() if self.upper_bars else seat)

    def _party(self, company: bool) -> _Party:
        rng = self.rng
        person = None if company else self._person()
        s1, s2 = (s.upper() for s in rng.sample(self.pools.surnames, 2))
        firm = rng.choice((f"{rng.choice(LAW_FIRM_FORMS)} {s1} & ASSOCIÉS", f"SCP {s1}-{s2}",
                           f"{rng.choice(LAW_FIRM_FORMS)} {s1} AVOCATS"))
        return _Party(person, self._company() if company else None, self._address(), self._person(),
                      self._person(), self._bar(), self._bar(), firm)

    def _draw_cast(self) -> None:
        rng = self.rng
        roll = rng.random()  # at least one party is a person
        self.p1 = self._party(company=0.5 <= roll < 0.7)
        self.p2 = self._party(company=roll >= 0.7)
        self.org = self._company()
        self.judges = {"J1": self._person(), "J2": self._person(), "J3": self._person(),
                       "G": self._person(female=rng.random() < 0.7)}
        self.court = rng.choice(self.pools.courts)
        court1 = f"{rng.choice(FIRST_INSTANCE)} {_with_de(rng.choice(self.pools.seats))}"
        self.court1 = court1[0].upper() + court1[1:] if self.capital_courts else court1
        self.chamber = rng.choice(CHAMBERS)
        if self.vrng.random() < self.variants.name_as_company:
            person = self.p1.person or self.p2.person
            assert person is not None
            suffix = self.vrng.choice(("", f" {self.vrng.choice(ACTIVITIES)}", " ET FILS"))
            self.org = f"{self.vrng.choice(LEGAL_FORMS)} {person.surname.upper()}{suffix}"

    def _date_text(self, day: date, upper: bool = False) -> str:
        if not upper and self.rng.random() < 0.08:
            return day.strftime("%d/%m/%Y")
        text = f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"
        return text.upper() if upper else text

    def _amount(self) -> str:
        value = self.rng.choice((self.rng.randint(300, 9_999), self.rng.randint(1_000, 250_000)))
        text = f"{value:,}".replace(",", " ")
        return text + (f",{self.rng.randint(1, 99):02d}" if self.rng.random() < 0.4 else "")

    def _address(self) -> str:
        rng = self.rng
        postcode, city = rng.choice(self.pools.cities)
        values = {
            "NUM": str(rng.choice((rng.randint(1, 30), rng.randint(1, 250)))),
            "STREET": f"{rng.choice(STREET_TYPES)} {rng.choice(self.pools.streets)}",
            "CP": postcode,
            "CITY": city.upper() if rng.random() < 0.4 else city,
            "RESIDENCE": rng.choice(RESIDENCES),
            "LIEUDIT": rng.choice(LIEUDITS),
            "LETTER": rng.choice("ABCDEFG"),
            "APT": str(rng.randint(1, 60)),
        }
        return _SLOT.sub(lambda m: values[m.group(1)], self._pick("address"))

    # -- mentions ---------------------------------------------------------------------------------

    def _surname(self, person: _Person) -> str:
        return person.surname.upper() if self.upper_surnames else person.surname

    def _full_name(self, person: _Person) -> str:
        return f"{person.first} {self._surname(person)}"

    def _titled(self, person: _Person, label: str, full: bool = True) -> list[Part]:
        title = TITLES[self.short_titles][person.female]
        name = self._full_name(person) if full else self._surname(person)
        return [(title, _TITLE), (" ", None), (name, label)]

    def _party_mention(self, party: _Party, intro: bool = False) -> list[Part]:
        if party.company is not None:
            return [(_article(party.company), None), (party.company, "ORGANIZATION")]
        assert party.person is not None
        return self._titled(party.person, "PERS", full=intro or self.rng.random() < 0.35)

    def _lawyer(self, person: _Person) -> list[Part]:
        name = self._full_name(person) if self.rng.random() < 0.85 else self._surname(person)
        return [(name, "LAWYER")]

    def _date_slot(self, name: str) -> date:
        fixed = {"DDATE": self.decision, "HDATE": self.hearing, "JDATE": self.judgment, "ADATE": self.appeal,
                 "CDATE": self.closure}
        if name in fixed:
            return fixed[name]
        if name == "BDATE":
            return date(1940, 1, 1) + timedelta(days=self.rng.randrange(58 * 365))
        return self.judgment - timedelta(days=self.rng.randint(30, 3_000))

    def _slot(self, name: str, party: _Party | None) -> list[Part]:
        """The parts filling `{name}`; `party` is the party in focus in intro and lawyer lines."""
        rng, sides = self.rng, {"1": self.p1, "2": self.p2}
        if party is None and name in {"N", "e", "iere", "eL", "L", "L2", "BAR", "BAR2", "FIRM", "FIRMNAME",
                                      "PROF"}:
            raise KeyError(f"template slot {{{name}}} needs a party in focus")
        match name:
            case "P1" | "P2":
                return self._party_mention(sides[name[1]])
            case "N":
                return self._party_mention(party, intro=True)
            case "ORG":
                return [(_article(self.org), None), (self.org, "ORGANIZATION")]
            case "FIRM":
                return [("la ", None), (party.firm, "ORGANIZATION")]
            case "FIRMNAME":
                return [(party.firm, "ORGANIZATION")]
            case "ADDR":
                return [(party.address if party is not None else self._address(), "ADDRESS")]
            case "L" | "L2":
                return self._lawyer(party.lawyer if name == "L" else party.lawyer2)
            case "LA1" | "LA2":
                return self._lawyer(sides[name[2]].lawyer)
            case "BAR" | "BAR2":
                return [(party.bar if name == "BAR" else party.bar2, "BAR")]
            case "J1" | "J2" | "J3" | "G":
                return self._titled(self.judges[name], "JUDGE_CLERK")
            case "COURT1":
                return [(self.court1, "COURT")]
            case "DATE" | "BDATE" | "DDATE" | "HDATE" | "JDATE" | "ADATE" | "CDATE":
                return [(self._date_text(self._date_slot(name)), "DATE")]
            case "e":
                text = "e" if party.female else ""
            case "iere":
                text = "ière" if party.female else "ier"
            case "e1" | "e2":
                text = "e" if sides[name[1]].female else ""
            case "il1" | "il2":
                text = "elle" if sides[name[2]].female else "il"
            case "eL":
                text = "e" if party.lawyer.female else ""
            case "eJ1" | "eJ2" | "eG":
                text = "e" if self.judges[name[1:]].female else ""
            case "fJ1":
                text = "présidente" if self.judges["J1"].female else "président"
            case "fJ2" | "fJ3":
                text = "conseillère" if self.judges[name[1:]].female else "conseiller"
            case "fG":
                text = "greffière" if self.judges["G"].female else "greffier"
            case "PROF":
                text = rng.choice(PROFESSIONS)[party.female]
            case "BIRTHPLACE" | "RCS":
                text = rng.choice(self.pools.seats)
            case "CORE":
                text = rng.choice(self.pools.cores)
            case "SIREN":
                text = f"{rng.randint(300, 899)} {rng.randint(100, 999)} {rng.randint(100, 999)}"
            case "NUMBER":
                text = f"{rng.randint(2010, 2020)}/{rng.randint(1, 30_000):06d}"
            case "TOQUE":
                text = str(rng.randint(10, 3_500))
            case "AMOUNT":
                text = self._amount()
            case "RATE":
                text = f"{rng.randint(1, 19)},{rng.randint(0, 99):02d}"
            case "MONTHS":
                text = str(rng.choice((12, 24, 36, 48, 60, 72, 84, 120)))
            case "KM":
                text = f"{rng.randint(15, 220)} {rng.randint(0, 999):03d}"
            case "JOB":
                text = rng.choice(JOBS)
            case "YEAR":
                text = str(rng.randint(2000, 2008))
            case "YEAR2":
                text = str(rng.randint(2009, 2016))
            case "MONTH":
                text = rng.choice(MONTHS)
            case _:
                raise KeyError(f"unknown template slot {{{name}}}")
        return [(text, None)]

    def _render(self, template: str, party: _Party | None = None) -> list[Part]:
        parts: list[Part] = []
        for i, piece in enumerate(_SLOT.split(template)):
            if i % 2:
                parts.extend(self._slot(piece, party))
            elif piece:
                parts.append((piece, None))
        return parts

    # -- sections ---------------------------------------------------------------------------------

    def _use(self, kind: str, index: int) -> str:
        self.templates.append(f"{kind}:{index}")
        return TEMPLATES[kind][index]

    def _pick(self, kind: str) -> str:
        """A template of `kind`, drawn without replacement until the split's pool is used up."""
        deck = self._decks.setdefault(kind, [])
        if not deck:
            deck.extend(self.pools.templates[kind])
            self.rng.shuffle(deck)
        return self._use(kind, deck.pop())

    def _sentence(self, parts: list[Part], new_paragraph: bool = False) -> None:
        if new_paragraph or not self.paragraphs:
            self.paragraphs.append([])
        self.paragraphs[-1].append(parts)

    def _lines(self, kind: str, party: _Party | None = None) -> None:
        """Render a template of `kind`; each of its lines becomes a one-sentence paragraph."""
        for line in self._pick(kind).split("\n"):
            self._sentence(self._render(line, party), new_paragraph=True)

    def _line(self, text: str) -> None:
        self._sentence([(text, None)], new_paragraph=True)

    def _paragraph(self, kinds: Sequence[str]) -> None:
        for i, kind in enumerate(kinds):
            self._sentence(self._render(self._pick(kind)), new_paragraph=i == 0)

    def _header(self) -> None:
        rng = self.rng
        if rng.random() < 0.3:
            self._line("RÉPUBLIQUE FRANÇAISE")
            self._line("AU NOM DU PEUPLE FRANÇAIS")
        self._sentence([(f"COUR D'APPEL {_with_de(self.court).upper()}", "COURT")], new_paragraph=True)
        self._line(self.chamber)
        self._sentence([("ARRÊT DU ", None), (self._date_text(self.decision, upper=True), "DATE")],
                       new_paragraph=True)
        rg = f"N° RG {self.appeal.year % 100:02d}/{rng.randint(1, 9_999):05d}"
        if rng.random() < 0.5:
            letters = "".join(rng.choice("BCDFGHJKLMNPQRSTVWXZ") for _ in range(4))
            rg += f" - N° Portalis DBV{rng.choice('XYZ')}-V-B7{rng.choice('BCD')}-{letters}"
        self._line(rg)
        self._sentence([("Décision du ", None), (self.court1, "COURT"), (" du ", None),
                        (self._date_text(self.judgment), "DATE"),
                        (f" (RG n° {self.judgment.year % 100:02d}/{rng.randint(1, 9_999):05d})", None)],
                       new_paragraph=True)
        for heading, party in (("APPELANT", self.p1), ("INTIMÉ", self.p2)):
            self._line(f"{heading}{'E' if party.female else ''} :")
            self._lines("party_company" if party.company else "party_person", party)
            self._lines("lawyer", party)
        self._lines("composition")
        self._lines("delivery")

    def _facts(self) -> None:
        rng = self.rng
        self._line(rng.choice(("EXPOSÉ DU LITIGE", "FAITS ET PROCÉDURE", "RAPPEL DES FAITS")))
        self._paragraph(["facts_org"] + ["facts"] * rng.randint(1, 3))
        if rng.random() < 0.5:
            self._paragraph(["facts"] * rng.randint(1, 2))
        self._paragraph(["judgment", "appeal"])
        self._paragraph(["conclusions"] * rng.randint(1, 3))
        self._paragraph(["closure"])

    def _reason(self) -> list[Part]:
        """One long reasoning sentence: an opener, then clauses chained with connectors."""
        rng = self.rng
        joiner = rng.choice(ATTENDU_OPENERS if self.attendu else MODERN_OPENERS)
        parts: list[Part] = []
        for _ in range(rng.choice(CLAUSE_COUNTS)):
            clause = self._render(self._pick("clause"))
            word = _elide(joiner, clause[0][0])
            parts.append((word if word.endswith("'") else word + " ", None))
            parts.extend(clause)
            joiner = rng.choice(CONNECTORS)
        parts.append((" ;" if self.attendu else ".", None))
        return parts

    def _reasons(self) -> None:
        rng = self.rng
        self._line(rng.choice(("MOTIFS DE LA DÉCISION", "SUR CE", "MOTIFS", "DISCUSSION")))
        for _ in range(rng.randint(3, 5)):
            if rng.random() < 0.5:
                self._line(rng.choice(SUBHEADINGS))
            for _ in range(rng.randint(4, 7)):
                self._sentence(self._reason(), new_paragraph=True)
                if not self.attendu and rng.random() < 0.3:
                    self._sentence(self._render(self._pick("conclusion")))

    def _operative_part(self) -> None:
        rng = self.rng
        self._line("PAR CES MOTIFS")
        self._line(rng.choice(OPERATIVE_OPENINGS))
        available = self.pools.templates["dispositif"]
        for index in sorted(rng.sample(available, min(4, len(available)))):
            self._sentence(self._render(self._use("dispositif", index)), new_paragraph=True)
        self._line("LE GREFFIER LE PRÉSIDENT")
        if rng.random() < 0.5:
            self._sentence([(self._full_name(self.judges["G"]), "JUDGE_CLERK"), (" ", None),
                            (self._full_name(self.judges["J1"]), "JUDGE_CLERK")], new_paragraph=True)

    # -- variants and assembly --------------------------------------------------------------------

    def _apply_variants(self, parts: list[Part]) -> list[Part]:
        vrng, variants = self.vrng, self.variants
        out: list[Part] = []
        drop_space = False
        for text, label in parts:
            if drop_space and text == " " and label is None:
                drop_space = False
                continue
            drop_space = False
            if label == _TITLE:
                if vrng.random() < variants.no_title:
                    drop_space = True
                    continue
                label = None
            elif label in PERSON_LABELS and vrng.random() < variants.lowercase_names:
                text = text.lower()
            out.append((text, label))
        if vrng.random() < variants.typos:
            self._typo(out)
        if vrng.random() < variants.merged_words:
            self._merge_words(out)
        first, label = out[0]
        if label is None and first[:1].islower():
            out[0] = (first[0].upper() + first[1:], None)
        return out

    def _typo(self, parts: list[Part]) -> None:
        """Swap, drop or double one inner letter of one word (in place)."""
        spots = [(i, m) for i, (text, _) in enumerate(parts) for m in _TYPO_WORD.finditer(text)]
        if not spots:
            return
        i, match = self.vrng.choice(spots)
        word, k = match.group(), self.vrng.randrange(1, len(match.group()) - 1)
        op = self.vrng.choice(("swap", "drop", "double"))
        if op == "swap" and word[k] != word[k + 1]:
            new = word[:k] + word[k + 1] + word[k] + word[k + 2:]
        elif op == "double":
            new = word[:k] + word[k] + word[k:]
        else:
            new = word[:k] + word[k + 1:]
        text, label = parts[i]
        parts[i] = (text[:match.start()] + new + text[match.end():], label)

    def _merge_words(self, parts: list[Part]) -> None:
        """Remove one space between two words of the same part (in place): entity edges never move."""
        spots = [(i, m.start()) for i, (text, _) in enumerate(parts) for m in _MERGEABLE_SPACE.finditer(text)]
        if not spots:
            return
        i, at = self.vrng.choice(spots)
        text, label = parts[i]
        parts[i] = (text[:at] + text[at + 1:], label)

    def build(self) -> Document:
        self._header()
        self._facts()
        self._reasons()
        self._operative_part()
        chunks: list[str] = []
        entities: list[Entity] = []
        sentences: list[tuple[int, int]] = []
        offset = 0
        for p, paragraph in enumerate(self.paragraphs):
            for s, parts in enumerate(paragraph):
                if p or s:
                    chunks.append(" " if s else "\n")
                    offset += 1
                start = offset
                for text, label in self._apply_variants(parts):
                    if label is not None:
                        entities.append(Entity(offset, offset + len(text), label))
                    chunks.append(text)
                    offset += len(text)
                sentences.append((start, offset))
        return Document(self.id, "".join(chunks), entities, sentences, tuple(self.templates))


# ---------------------------------------------------------------------------------------------------
# News-like sentences (the CoNLL-03 shape, in French)
# ---------------------------------------------------------------------------------------------------

COUNTRIES = _items("""
    la France, l'Allemagne, l'Espagne, l'Italie, la Belgique, la Suisse, le Royaume-Uni, le Portugal,
    l'Autriche, la Pologne, la Grèce, la Suède, la Norvège, le Danemark, l'Irlande, le Canada, le Brésil,
    l'Argentine, le Mexique, la Chine, le Japon, l'Inde, la Russie, la Turquie, le Maroc, l'Algérie,
    la Tunisie, le Sénégal, l'Égypte, le Liban, l'Australie, le Nigeria, la Corée du Sud, le Vietnam,
    l'Ukraine, la Roumanie, la Hongrie, le Chili, la Colombie, le Cameroun
""")
CLUBS = _items("""
    Lyon, Marseille, Saint-Étienne, Nantes, Bordeaux, Rennes, Lens, Lille, Nice, Monaco, Montpellier,
    Toulouse, Strasbourg, Metz, Nancy, Auxerre, Sochaux, Guingamp, Caen, Le Havre, Brest, Lorient, Reims,
    Angers, Dijon, Troyes, Bastia, Ajaccio, Nîmes, Grenoble, Paris SG, Clermont, Amiens, Valenciennes
""")
NEWS_COMPANIES = _items("""
    Renault, Peugeot, Airbus, Total, Danone, Michelin, Carrefour, Air France, Alstom, Vivendi, Bouygues,
    Sanofi, Thales, Safran, Veolia, Saint-Gobain, Lafarge, Orange, Capgemini, Decathlon, Auchan, Casino,
    Pernod Ricard, Accor, Publicis, Dassault Aviation, Engie, Suez, Natixis, AXA, Kering, Hermès,
    Elf Aquitaine, Usinor, Rhône-Poulenc, Crédit lyonnais, Société générale, BNP Paribas, France Télécom
""")
NEWS_INSTITUTIONS = _items("""
    l'Assemblée nationale, le Sénat, la Commission européenne, la Banque de France, l'INSEE,
    le Conseil constitutionnel, l'ONU, l'OTAN, le FMI, la Banque centrale européenne, la CGT, la CFDT,
    le Medef, Force ouvrière, la SNCF, la RATP, l'UEFA, la FIFA, le Conseil d'État, la Cour des comptes
""")
PARTIES = ("PS", "LR", "LREM", "PCF", "EELV", "RN", "MoDem", "UDI", "LFI", "UMP", "RPR", "UDF")
EVENTS = ("du Tour de France", "de Roland-Garros", "de la Coupe du monde", "de la Ligue des champions",
          "des Jeux olympiques", "du Festival de Cannes", "de l'Euro", "du Tournoi des six nations")
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

NEWS_TEMPLATES: dict[str, tuple[str, ...]] = {
    "headline": (
        "{CLUB} bat {CLUB2} {SCORE}", "{ORG} annonce {NUM} suppressions d'emplois", "Grève à {CITY}",
        "{SUR} reconduit à la tête de {INST}", "Incendie dans un entrepôt à {CITY}",
        "Football : résultats de la {RANK}e journée", "{SUR} candidat à la mairie de {CITY}",
        "{COUNTRY} et {COUNTRY2} signent un accord", "{ORG} : bénéfice en hausse de {PCT} %",
        "RUGBY - {CLUB_UPPER} CONSERVE LA TÊTE", "FOOTBALL - CHAMPIONNAT DE FRANCE",
    ),
    "dateline": ("{CITY_UPPER}, {DAYNUM} {MONTH} (AFP)", "{CITY_UPPER} {YEAR}-{MM}-{DD}",
                 "{CITY_UPPER}, {DAYNUM} {MONTH}", "De notre correspondant à {CITY}"),
    "news": (
        "Le ministre de l'Économie, {PER}, a annoncé {DAY} à {CITY} un plan de soutien de {NUM} millions "
        "d'euros aux entreprises du secteur.",
        "{ORG} a enregistré au premier semestre un bénéfice net de {NUM} millions d'euros, en hausse de "
        "{PCT} % "
        "sur un an.",
        "Selon {PER}, porte-parole de {ORG}, les négociations reprendront la semaine prochaine à {CITY}.",
        "L'action {ORG} a clôturé en baisse de {PCT} % à la Bourse de Paris.",
        "« Nous sommes très satisfaits de ce résultat », a déclaré {PER}.",
        "{PER} a été élu{e} maire de {CITY} avec {PCT} % des voix.",
        "La police a interpellé {DAY} soir deux suspects à {CITY}.",
        "{PER} ({PARTY}) a dénoncé une décision « injuste ».",
        "Les pompiers de {CITY} sont intervenus vers {HOUR} heures.",
        "Le sommet réunira à {CITY} les dirigeants de {NUM} pays.",
        "{SUR} a démenti toute intention de quitter {ORG}.",
        "Il y a eu {NUM} blessés, selon la préfecture.",
        "Le tribunal correctionnel de {CITY} rendra sa décision le {DAYNUM} {MONTH}.",
        "{ORG} et {ORG2} ont signé {DAY} un accord de partenariat portant sur {NUM} millions d'euros.",
        "Le chômage a reculé de {PCT} % au troisième trimestre, selon l'INSEE.",
        "{PER}, {AGE} ans, était recherché{e} depuis le mois de {MONTH}.",
        "Le Premier ministre se rendra {DAY} à {CITY}.",
        "{INST} a adopté {DAY} le projet de loi par {NUM} voix contre {NUM2}.",
        "{COUNTRY} a rappelé son ambassadeur après les déclarations de {PER}.",
        "Les discussions entre {COUNTRY} et {COUNTRY2} doivent reprendre {DAY} à {CITY}, a indiqué {INST}.",
        "Le député {PARTY} {PER} a déposé une proposition de loi.",
        "{PER}, directeur général de {ORG}, quittera ses fonctions à la fin du mois de {MONTH}.",
        "La manifestation a rassemblé {NUM} personnes à {CITY}, selon les organisateurs.",
        "Aucune victime n'est à déplorer.",
        "L'enquête a été confiée à la police judiciaire de {CITY}.",
        "Le cours du pétrole a progressé de {PCT} % {DAY}.",
        "{ORG} va investir {NUM} millions d'euros dans son usine de {CITY}, a annoncé {DAY} son président, "
        "{PER}, lors d'une conférence de presse.",
        "Interrogé{e} par l'AFP, {PER} n'a pas souhaité commenter ces informations.",
        "La délégation conduite par {PER} est arrivée {DAY} à {CITY} en provenance de {CITY2}.",
        "Ce texte, voté par {INST}, prévoit notamment une baisse des cotisations pour les entreprises de "
        "moins "
        "de {NUM} salariés.",
        "Les syndicats ont appelé à une nouvelle journée de mobilisation le {DAYNUM} {MONTH}.",
        "{PER} et {PER2} se retrouveront en marge {EVENT}.",
        "Le groupe {ORG}, qui emploie {NUM} personnes en France, a confirmé {DAY} la fermeture de son site "
        "de "
        "{CITY} d'ici la fin de l'année, une décision que les syndicats jugent « incompréhensible ».",
        "Selon les premiers éléments de l'enquête, le conducteur, un homme de {AGE} ans originaire de "
        "{CITY}, "
        "aurait perdu le contrôle de son véhicule peu avant {HOUR} heures.",
        "Le président de {INST}, {PER}, a appelé {DAY} les partenaires sociaux à reprendre le dialogue, "
        "estimant que « le blocage actuel ne profite à personne ».",
        "{COUNTRY} a annoncé {DAY} l'ouverture de négociations avec {COUNTRY2} sur la question des droits de "
        "douane, a indiqué à {CITY} le ministre des Affaires étrangères, {PER}.",
        "L'accord conclu entre {ORG} et {ORG2} doit encore être approuvé par les autorités de la "
        "concurrence, "
        "ce qui pourrait prendre plusieurs mois, selon un analyste cité par l'AFP.",
        "Arrivé en tête du premier tour avec {PCT} % des suffrages, {PER} ({PARTY}) affrontera dimanche "
        "prochain le maire sortant de {CITY}, {PER2}.",
        "Les enquêteurs cherchent désormais à établir si la victime, un commerçant de {CITY} âgé de {AGE} "
        "ans, "
        "connaissait son agresseur.",
        "Au total, plus de {NUM} emplois pourraient être supprimés dans la région de {CITY} au cours des "
        "deux "
        "prochaines années, selon une estimation de la chambre de commerce.",
        "Ce projet, estimé à {NUM} millions d'euros, doit relier {CITY} à {CITY2} à l'horizon {YEAR2}, a "
        "précisé {PER}, vice-président de la région.",
        "« Il faut maintenant que chacun prenne ses responsabilités », a lancé {PER} devant plusieurs "
        "centaines "
        "de militants réunis à {CITY}.",
        "Le procès de {PER}, poursuivi{e} pour abus de biens sociaux au préjudice de {ORG}, s'ouvrira le "
        "{DAYNUM} {MONTH} devant le tribunal correctionnel de {CITY}.",
        "Dans un communiqué publié {DAY}, {INST} a demandé des explications à {ORG} après la panne qui a "
        "privé "
        "d'électricité {NUM} foyers de la région de {CITY}.",
    ),
    "sport": (
        "{CLUB} a battu {CLUB2} {SCORE} {DAY} soir, grâce à un doublé de {PER}.",
        "{SUR} a ouvert le score à la {MIN}e minute.",
        "{CLUB} conserve la tête du classement avec {NUM} points.",
        "L'entraîneur {PER} a salué la performance de ses joueurs.",
        "{PER} s'est imposé{e} lors {EVENT} devant {PER2}.",
        "{CLUB2} a été réduit à dix à la {MIN}e minute après l'expulsion de {SUR}.",
        "{SUR} (ex-{CLUB}) a signé un contrat de trois ans avec {CLUB2}.",
        "Match nul entre {CLUB} et {CLUB2} ({SCORE}).",
    ),
    "result": ("{CLUB} - {CLUB2} {SCORE}", "{RANK}. {CLUB} {POINTS} pts", "{PER} ({CLUB}) {GOALS} buts",
               "{CLUB} {GOALS} {CLUB2} {GOALS2}"),
}
_NEW_WORD_VOWEL = re.compile(r"\b([dD]|[qQ]u)e (?=[AEIOUÉÈÎaeiouéèî])")


def _news_sentence(rng: random.Random, template: str) -> str:
    """Fill a news template; names come from the full (unpartitioned) lists."""
    female = rng.random() < 0.4
    first = rng.choice(FEMALE_FIRST_NAMES if female else MALE_FIRST_NAMES)
    surname = rng.choice(SURNAMES + COMMON_NOUN_SURNAMES)
    city = rng.choice(CITIES)[1]
    values = {
        "PER": f"{first} {surname}", "SUR": surname, "e": "e" if female else "", "CITY": city,
        "CITY_UPPER": city.upper(), "CLUB_UPPER": rng.choice(CLUBS).upper(),
        "POINTS": str(rng.randint(0, 60)), "YEAR2": str(rng.randint(2025, 2035)),
        "PER2": f"{rng.choice(MALE_FIRST_NAMES + FEMALE_FIRST_NAMES)} {rng.choice(SURNAMES)}",
        "CITY2": rng.choice(CITIES)[1], "COUNTRY": rng.choice(COUNTRIES), "COUNTRY2": rng.choice(COUNTRIES),
        "CLUB": rng.choice(CLUBS), "CLUB2": rng.choice(CLUBS), "ORG": rng.choice(NEWS_COMPANIES),
        "ORG2": rng.choice(NEWS_COMPANIES), "INST": rng.choice(NEWS_INSTITUTIONS),
        "PARTY": rng.choice(PARTIES), "EVENT": rng.choice(EVENTS), "DAY": rng.choice(WEEKDAYS),
        "MONTH": rng.choice(MONTHS), "DAYNUM": str(rng.randint(1, 28)), "YEAR": str(rng.randint(1995, 2019)),
        "MM": f"{rng.randint(1, 12):02d}", "DD": f"{rng.randint(1, 28):02d}",
        "NUM": str(rng.choice((rng.randint(2, 30), rng.randint(30, 2_000)))),
        "NUM2": str(rng.randint(2, 300)), "PCT": f"{rng.randint(0, 30)},{rng.randint(0, 9)}",
        "SCORE": f"{rng.randint(0, 4)}-{rng.randint(0, 3)}", "RANK": str(rng.randint(1, 20)),
        "GOALS": str(rng.randint(0, 5)), "GOALS2": str(rng.randint(0, 4)), "MIN": str(rng.randint(2, 90)),
        "HOUR": str(rng.randint(0, 23)), "AGE": str(rng.randint(18, 85)),
    }
    text = _SLOT.sub(lambda m: values[m.group(1)], template)
    text = _NEW_WORD_VOWEL.sub(lambda m: m.group(1) + "'", text)
    return text[0].upper() + text[1:]


def _news_article(rng: random.Random) -> list[str]:
    """A headline, a dateline, then body sentences (and, for sport, a results table)."""
    sport = rng.random() < 0.15
    article = [_news_sentence(rng, rng.choice(NEWS_TEMPLATES["headline"])),
               _news_sentence(rng, rng.choice(NEWS_TEMPLATES["dateline"]))]
    body = NEWS_TEMPLATES["sport" if sport else "news"]
    n_body = rng.randint(2, 5) if sport else rng.randint(6, 14)
    article += [_news_sentence(rng, rng.choice(body)) for _ in range(n_body)]
    if sport:
        results = NEWS_TEMPLATES["result"]
        article += [_news_sentence(rng, rng.choice(results)) for _ in range(rng.randint(2, 6))]
    return article


# ---------------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------------


def iter_documents(seed: int, *, split: str = "train",
                   variants: Variants | None = None) -> Iterator[Document]:
    """An endless stream of documents; document i depends only on (seed, split, variants, i)."""
    return _documents(seed, split, variants or Variants(), _Pools.for_split(split))  # split checked now


def _documents(seed: int, split: str, variants: Variants, pools: _Pools) -> Iterator[Document]:
    index = 0
    while True:
        rng = random.Random(f"fastner-doc:{split}:{seed}:{index}")
        vrng = random.Random(f"fastner-variants:{split}:{seed}:{index}")
        yield _DocumentWriter(f"{split}-{seed}-{index:06d}", rng, vrng, variants, pools).build()
        index += 1


def generate_documents(n_docs: int, seed: int, *, split: str = "train",
                       variants: Variants | None = None) -> list[Document]:
    """`n_docs` synthetic court-of-appeal decisions (the first `n_docs` of `iter_documents`)."""
    if n_docs < 0:
        raise ValueError(f"n_docs must be >= 0, got {n_docs}")
    return list(islice(iter_documents(seed, split=split, variants=variants), n_docs))


def legal_sentences(n: int, seed: int) -> list[str]:
    """The first `n` sentences of the `train` documents drawn with `seed`, in document order."""
    sentences = (doc.text[start:end] for doc in iter_documents(seed) for start, end in doc.sentences)
    return list(islice(sentences, n))


def conll_like_articles(n: int, seed: int) -> list[list[str]]:
    """News articles holding `n` short French sentences in all (the last article is cut to fit)."""
    rng = random.Random(f"fastner-conll:{seed}")
    articles: list[list[str]] = []
    remaining = n
    while remaining > 0:
        article = _news_article(rng)[:remaining]
        articles.append(article)
        remaining -= len(article)
    return articles


def conll_like_sentences(n: int, seed: int) -> list[str]:
    """`n` short news-like French sentences (CoNLL-03 shape: about 14 whitespace tokens on average)."""
    return [sentence for article in conll_like_articles(n, seed) for sentence in article]
